using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Api.Selectors;
using Navarch.Client.Controllers;
using Navarch.Client.Events;
using Navarch.Client.Informers;

namespace Navarch.Controllers.ReplicaSet;

/// <summary>
/// Keeps the number of pods a ReplicaSet (or, through <see cref="View"/>, a ReplicationController) selects equal to
/// its replicas, the way kube-controller-manager does:
/// adopts matching orphans and releases pods that no longer match (controller ownerReferences), creates missing pods
/// in slow-start batches (1, 2, 4, …) and deletes surplus ones in Kubernetes' preference order, with expectations
/// so nothing is done twice before the informer shows the effect; status (replicas, fullyLabeledReplicas,
/// readyReplicas, availableReplicas, observedGeneration) is written last. Kubernetes' replication manager is the
/// ReplicaSet controller over converted objects in the same way (pkg/controller/replication).
/// </summary>
/// <typeparam name="T">The owner kind: ReplicaSet, or ReplicationController.</typeparam>
public abstract class ReplicaManager<T> : QueueController
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private const int BurstReplicas = 500;
    private readonly Informer<T> _owners;
    private readonly Informer<V1Pod> _pods;
    private readonly ControllerExpectations _expectations;
    private readonly EventRecorder _events;
    private readonly string _kind;
    private readonly string _apiVersion;

    /// <summary>Creates the controller over the shared informers of its owner kind and of Pods.</summary>
    private protected ReplicaManager(string name, string component, string apiVersion, string kind, ControllerContext context)
        : base(name, context)
    {
        _kind = kind;
        _apiVersion = apiVersion;
        _events = context.Recorder(component);
        _owners = context.Informers.Get<T>();
        _pods = context.Informers.Get<V1Pod>();
        _expectations = new ControllerExpectations(Time);
        _owners.AddHandler(new ResourceEventHandler<T>(Enqueue, (owner, _) =>
        {
            _expectations.Delete(ObjectKeys.KeyOf(owner));
            Enqueue(owner);
        }));
        _pods.AddHandler(new ResourceEventHandler<V1Pod>(PodChanged, PodDeleted));
    }

    /// <summary>
    /// The owner as a ReplicaSet (spec, status and metadata), its Kind and apiVersion kept, so that events and
    /// owner references name the real owner.
    /// </summary>
    private protected abstract V1ReplicaSet View(T owner);

    /// <summary>Writes <paramref name="status"/> to the owner's status subresource.</summary>
    private protected abstract Task ReplaceStatusAsync(T owner, V1ReplicaSetStatus status, CancellationToken cancellationToken);

    private void PodChanged(V1Pod pod)
    {
        if (ControllerOf(pod) is { } owner)
        {
            string key = $"{pod.Metadata.NamespaceProperty}/{owner.Name}";
            if (pod.Metadata.ResourceVersion is not null && IsNew(pod))
            {
                _expectations.CreationObserved(key);
            }

            Queue.Add(key);
            return;
        }

        // An orphan: every owner that selects it may adopt it.
        foreach (T candidate in _owners.Store.List(pod.Metadata.NamespaceProperty))
        {
            if (View(candidate).Spec?.Selector is { } selector && selector.Matches(pod.Metadata.Labels))
            {
                Enqueue(candidate);
            }
        }
    }

    private void PodDeleted(V1Pod pod, bool finalStateUnknown)
    {
        lock (_seenPods)
        {
            _seenPods.Remove(pod.Metadata.Uid);
        }

        if (ControllerOf(pod) is { } owner)
        {
            string key = $"{pod.Metadata.NamespaceProperty}/{owner.Name}";
            _expectations.DeletionObserved(key);
            Queue.Add(key);
        }
    }

    // A pod seen for the first time counts against the creations we expect for its owner.
    private readonly HashSet<string> _seenPods = new(StringComparer.Ordinal);

    private bool IsNew(V1Pod pod)
    {
        lock (_seenPods)
        {
            return _seenPods.Add(pod.Metadata.Uid);
        }
    }

    private V1OwnerReference? ControllerOf(V1Pod pod) =>
        ControllerRefs.ControllerOf(pod.Metadata, _kind);

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        T? owner = _owners.Store.Get(key);
        if (owner is null)
        {
            _expectations.Delete(key);
            return;
        }

        V1ReplicaSet rs = View(owner);
        string ns = rs.Metadata.NamespaceProperty;
        V1LabelSelector selector = rs.Spec.Selector;
        var claimed = new List<V1Pod>();
        foreach (V1Pod pod in _pods.Store.List(ns))
        {
            V1OwnerReference? controller = ControllerOf(pod);
            bool matches = selector.Matches(pod.Metadata.Labels);
            if (controller?.Uid == rs.Metadata.Uid)
            {
                if (matches)
                {
                    claimed.Add(pod);
                }
                else
                {
                    await SetOwnerAsync(pod, null, cancellationToken);
                }
            }
            else if (controller is null && matches && rs.Metadata.DeletionTimestamp is null && pod.Metadata.DeletionTimestamp is null)
            {
                await SetOwnerAsync(pod, rs, cancellationToken);
                claimed.Add(pod);
            }
        }

        List<V1Pod> active = claimed.Where(p => p.Metadata.DeletionTimestamp is null && p.Status?.Phase is not ("Succeeded" or "Failed")).ToList();
        if (_expectations.SatisfiedExpectations(key) && rs.Metadata.DeletionTimestamp is null)
        {
            await ManageReplicasAsync(key, rs, active, cancellationToken);
        }

        await UpdateStatusAsync(owner, rs, active, cancellationToken);
    }

    private async Task ManageReplicasAsync(string key, V1ReplicaSet rs, List<V1Pod> active, CancellationToken cancellationToken)
    {
        int diff = active.Count - (rs.Spec.Replicas ?? 1);
        if (diff < 0)
        {
            int toCreate = Math.Min(-diff, BurstReplicas);
            _expectations.ExpectCreations(key, toCreate);
            // Slow start: batches of 1, 2, 4, ... so a failing create (e.g. a quota) fails fast and cheaply.
            int created = 0;
            for (int batch = 1; created < toCreate; batch *= 2)
            {
                int size = Math.Min(batch, toCreate - created);
                bool[] ok = await Task.WhenAll(Enumerable.Range(0, size).Select(_ => CreatePodAsync(rs, cancellationToken)));
                created += size;
                int failed = ok.Count(x => !x);
                if (failed > 0)
                {
                    _expectations.Lower(key, failed + (toCreate - created), 0);
                    break;
                }
            }
        }
        else if (diff > 0)
        {
            List<V1Pod> victims = active.Order(Comparer<V1Pod>.Create(DeletionPreference)).Take(Math.Min(diff, BurstReplicas)).ToList();
            _expectations.ExpectDeletions(key, victims.Count);
            foreach (V1Pod pod in victims)
            {
                try
                {
                    await Client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
                    PodEvents.Deleted(_events, rs, pod);
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
                {
                    _expectations.DeletionObserved(key);
                }
            }
        }
    }

    /// <summary>
    /// Kubernetes' ActivePods ordering, first to delete first: unassigned before assigned, Pending before Unknown
    /// before Running, not ready before ready, more restarts first, newer before older.
    /// </summary>
    private static int DeletionPreference(V1Pod a, V1Pod b)
    {
        int Assigned(V1Pod p) => string.IsNullOrEmpty(p.Spec?.NodeName) ? 0 : 1;
        int Phase(V1Pod p) => p.Status?.Phase switch { "Pending" => 0, "Unknown" => 1, "Running" => 2, _ => 0 };
        int Ready(V1Pod p) => IsReady(p) ? 1 : 0;
        int compare = Assigned(a).CompareTo(Assigned(b));
        if (compare == 0)
        {
            compare = Phase(a).CompareTo(Phase(b));
        }

        if (compare == 0)
        {
            compare = Ready(a).CompareTo(Ready(b));
        }

        if (compare == 0)
        {
            compare = Restarts(b).CompareTo(Restarts(a));
        }

        return compare != 0 ? compare : Nullable.Compare(b.Metadata.CreationTimestamp, a.Metadata.CreationTimestamp);
    }

    private static int Restarts(V1Pod p) => p.Status?.ContainerStatuses?.Sum(c => c.RestartCount) ?? 0;

    private static bool IsReady(V1Pod p) => p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    private async Task<bool> CreatePodAsync(V1ReplicaSet rs, CancellationToken cancellationToken)
    {
        V1PodTemplateSpec template = rs.Spec.Template;
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                GenerateName = rs.Metadata.Name + "-",
                Labels = template.Metadata?.Labels is { } labels ? new Dictionary<string, string>(labels) : null,
                Annotations = template.Metadata?.Annotations is { } annotations ? new Dictionary<string, string>(annotations) : null,
                OwnerReferences = [ControllerReference(rs)],
            },
            Spec = ModelCopies.Copy(template.Spec),
        };
        try
        {
            PodEvents.Created(_events, rs, await Client.CoreV1.CreateNamespacedPodAsync(pod, rs.Metadata.NamespaceProperty, cancellationToken: cancellationToken));
            return true;
        }
        catch (HttpOperationException e)
        {
            Log.CreateFailed(Logger, ObjectKeys.KeyOf(rs), e.Response.Content);
            PodEvents.CreateFailed(_events, rs, PodEvents.ErrorOf(e));
            return false;
        }
    }

    private V1OwnerReference ControllerReference(V1ReplicaSet rs) => ControllerRefs.To(rs, _apiVersion, _kind);

    /// <summary>Adopts (<paramref name="owner"/> set) or releases a pod, guarded by its uid.</summary>
    private async Task SetOwnerAsync(V1Pod pod, V1ReplicaSet? owner, CancellationToken cancellationToken)
    {
        string patch = ControllerRefs.AdoptionPatch(pod.Metadata, owner is null ? null : ControllerReference(owner));
        try
        {
            await Client.CoreV1.PatchNamespacedPodAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is System.Net.HttpStatusCode.NotFound or (System.Net.HttpStatusCode)422)
        {
        }
    }

    private async Task UpdateStatusAsync(T owner, V1ReplicaSet rs, List<V1Pod> active, CancellationToken cancellationToken)
    {
        DateTimeOffset now = Time.GetUtcNow();
        int minReady = rs.Spec.MinReadySeconds ?? 0;
        LabelSelector templateLabels = LabelSelector.Parse(string.Join(",", (rs.Spec.Template.Metadata?.Labels ?? new Dictionary<string, string>()).Select(kv => $"{kv.Key}={kv.Value}")));
        var status = new V1ReplicaSetStatus
        {
            Replicas = active.Count,
            FullyLabeledReplicas = active.Count(p => templateLabels.Matches(p.Metadata.Labels)),
            ReadyReplicas = active.Count(IsReady),
            AvailableReplicas = active.Count(p => IsReady(p) && p.Status!.Conditions!.First(c => c.Type == "Ready").LastTransitionTime is { } since
                && now - new DateTimeOffset(DateTime.SpecifyKind(since, DateTimeKind.Utc)) >= TimeSpan.FromSeconds(minReady)),
            ObservedGeneration = rs.Metadata.Generation,
            Conditions = rs.Status?.Conditions,
        };
        if (Navarch.Api.KubernetesSerialization.JsonEquals(status, rs.Status))
        {
            return;
        }

        try
        {
            await ReplaceStatusAsync(owner, status, cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is System.Net.HttpStatusCode.Conflict)
        {
            // The informer will bring the newer version and another sync.
            Queue.AddRateLimited(ObjectKeys.KeyOf(rs));
        }

        if (minReady > 0 && status.ReadyReplicas != status.AvailableReplicas)
        {
            // Pods become available with time alone: look again when the next one would.
            Queue.AddAfter(ObjectKeys.KeyOf(rs), TimeSpan.FromSeconds(minReady));
        }
    }
}
