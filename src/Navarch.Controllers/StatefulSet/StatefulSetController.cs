using System.Globalization;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Client.Events;
using Navarch.Client.Informers;
using Navarch.Controllers.History;

namespace Navarch.Controllers.StatefulSet;

/// <summary>
/// Gives each replica of a StatefulSet a stable identity, the way kube-controller-manager does: pods named
/// <c>&lt;set&gt;-&lt;ordinal&gt;</c> with hostname and subdomain, PersistentVolumeClaims from the volumeClaimTemplates
/// created before their pod; OrderedReady creates in ordinal order waiting for each pod to be Running and Ready and
/// removes from the highest ordinal one at a time, Parallel does not wait. The claims carry the ownerReferences the
/// persistentVolumeClaimRetentionPolicy asks for (<see cref="ClaimRetention"/>), so the garbage collector deletes them
/// with the set (whenDeleted) or with a scaled-down pod (whenScaled). The template history lives in
/// ControllerRevisions; RollingUpdate replaces pods from the highest ordinal down to the partition, one at a time,
/// waiting for readiness; OnDelete only recreates deleted pods. Status is written last.
/// </summary>
public sealed class StatefulSetController : QueueController
{
    private const string Kind = "StatefulSet";
    private const string PodNameLabel = "statefulset.kubernetes.io/pod-name";
    private const string PodIndexLabel = "apps.kubernetes.io/pod-index";
    private readonly Informer<V1StatefulSet> _sets;
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1PersistentVolumeClaim> _claims;
    private readonly Informer<V1ControllerRevision> _revisions;
    private readonly EventRecorder _events;

    /// <summary>Creates the controller over the shared StatefulSet, Pod, PersistentVolumeClaim and ControllerRevision informers.</summary>
    public StatefulSetController(ControllerContext context)
        : base("statefulset", context)
    {
        _events = context.Recorder("statefulset-controller");
        _sets = context.Informers.Get<V1StatefulSet>();
        _pods = context.Informers.Get<V1Pod>();
        _claims = context.Informers.Get<V1PersistentVolumeClaim>();
        _revisions = context.Informers.Get<V1ControllerRevision>();
        _sets.AddHandler(new ResourceEventHandler<V1StatefulSet>(Enqueue));
        _pods.AddHandler(new ResourceEventHandler<V1Pod>
        {
            AddFunc = EnqueueOwner,
            UpdateFunc = (old, pod) =>
            {
                EnqueueOwner(old);
                EnqueueOwner(pod);
            },
            DeleteFunc = (pod, _) => EnqueueOwner(pod),
        });
        _revisions.AddHandler(new ResourceEventHandler<V1ControllerRevision>(EnqueueOwner));
    }

    private void EnqueueOwner(IKubernetesObject<V1ObjectMeta> obj)
    {
        if (ControllerRevisions.ControllerOf(obj, Kind) is { } owner)
        {
            Queue.Add($"{obj.Metadata.NamespaceProperty}/{owner.Name}");
        }
    }

    /// <summary>The ordinal in a pod's name, or -1 when the name is not <c>&lt;set&gt;-&lt;n&gt;</c>.</summary>
    private static int OrdinalOf(V1StatefulSet set, V1Pod pod)
    {
        string prefix = set.Metadata.Name + "-";
        string name = pod.Metadata.Name;
        return name.StartsWith(prefix, StringComparison.Ordinal)
            && int.TryParse(name.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int ordinal)
            && ordinal.ToString(CultureInfo.InvariantCulture) == name[prefix.Length..]
            ? ordinal
            : -1;
    }

    private static string RevisionOf(V1Pod pod) =>
        pod.Metadata.Labels?.TryGetValue(ControllerRevisions.PodRevisionLabel, out string? revision) == true ? revision : "";

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        V1StatefulSet? set = _sets.Store.Get(key);
        if (set is null || set.Metadata.DeletionTimestamp is not null)
        {
            return;
        }

        string ns = set.Metadata.NamespaceProperty;
        List<V1ControllerRevision> history = ControllerRevisions.OwnedBy(_revisions.Store, ns, set.Metadata.Uid);
        (V1ControllerRevision update, int? collisionCount) = await ControllerRevisions.EnsureAsync(
            Client, set, Kind, set.Spec.Template, history, set.Status?.CollisionCount, cancellationToken);
        V1ControllerRevision current = history.FirstOrDefault(r => r.Metadata.Name == set.Status?.CurrentRevision) ?? update;

        List<V1Pod> pods = await PodClaims.ClaimAsync(Client, set, Kind, set.Spec.Selector, _pods.Store.List(ns), cancellationToken);
        await UpdateReplicasAsync(set, current, update, pods, cancellationToken);

        // Status from the cache as it is now, the pods just adopted included.
        var claimedUids = pods.Select(p => p.Metadata.Uid).ToHashSet(StringComparer.Ordinal);
        pods = _pods.Store.List(ns).Where(p => claimedUids.Contains(p.Metadata.Uid) || ControllerRevisions.ControllerOf(p, Kind)?.Uid == set.Metadata.Uid).ToList();
        var live = new HashSet<string>(pods.Select(RevisionOf), StringComparer.Ordinal) { current.Metadata.Name, update.Metadata.Name };
        await ControllerRevisions.TrimAsync(Client, history, set.Spec.RevisionHistoryLimit ?? 10, live, cancellationToken);
        await UpdateStatusAsync(set, current, update, pods, collisionCount, cancellationToken);
    }

    /// <summary>Kubernetes' updateStatefulSet: create and recreate in range, delete out of range, then roll.</summary>
    private async Task UpdateReplicasAsync(V1StatefulSet set, V1ControllerRevision current, V1ControllerRevision update, List<V1Pod> pods, CancellationToken cancellationToken)
    {
        string key = ObjectKeys.KeyOf(set);
        int start = set.Spec.Ordinals?.Start ?? 0;
        int replicas = set.Spec.Replicas ?? 1;
        bool monotonic = set.Spec.PodManagementPolicy != "Parallel";
        var slots = new V1Pod?[replicas];
        var condemned = new List<(int Ordinal, V1Pod Pod)>();
        foreach (V1Pod pod in pods)
        {
            int ordinal = OrdinalOf(set, pod);
            if (ordinal < 0)
            {
                continue;
            }

            if (ordinal >= start && ordinal < start + replicas)
            {
                slots[ordinal - start] = pod;
            }
            else
            {
                condemned.Add((ordinal, pod));
            }
        }

        bool rolling = set.Spec.UpdateStrategy?.Type != "OnDelete";
        int partition = rolling ? set.Spec.UpdateStrategy?.RollingUpdate?.Partition ?? 0 : 0;
        V1PodTemplateSpec currentTemplate = ControllerRevisions.TemplateOf(current) ?? set.Spec.Template;

        // In range: replace finished pods, create missing ones, and (OrderedReady) wait for each to be Running and Ready.
        for (int i = 0; i < replicas; i++)
        {
            int ordinal = start + i;
            V1Pod? pod = slots[i];
            if (pod is not null && pod.Status?.Phase is "Failed" or "Succeeded" && !PodConditions.IsTerminating(pod))
            {
                Log.PodAction(Logger, key, "recreating finished", pod.Metadata.Name);
                await DeletePodAsync(set, pod, cancellationToken);
                if (monotonic)
                {
                    return;
                }

                continue;
            }

            if (pod is null)
            {
                if (HasStaleClaim(set, ordinal))
                {
                    // whenScaled Delete: the claim of an earlier pod of this name is still being collected; claims
                    // are not watched here, so look again shortly.
                    Log.StaleClaim(Logger, key, ordinal);
                    Queue.AddAfter(key, TimeSpan.FromSeconds(1));
                    if (monotonic)
                    {
                        return;
                    }

                    continue;
                }

                bool old = rolling && ordinal < partition;
                await CreatePodAsync(set, ordinal, old ? currentTemplate : set.Spec.Template, old ? current : update, cancellationToken);
                if (monotonic)
                {
                    return;
                }

                continue;
            }

            if (!PodConditions.IsTerminating(pod))
            {
                // A claim deleted under a live pod is made again, as Kubernetes does; its owners follow the policy.
                foreach (V1PersistentVolumeClaim claimTemplate in set.Spec.VolumeClaimTemplates ?? [])
                {
                    await EnsureClaimAsync(set, claimTemplate, pod.Metadata.Name, cancellationToken);
                }

                await ApplyRetentionPolicyAsync(set, pod, ordinal, cancellationToken);
            }

            if (monotonic && (PodConditions.IsTerminating(pod) || !PodConditions.IsRunningAndReady(pod)))
            {
                return;
            }
        }

        // Out of range: their claims first get the owners the policy gives scaled-down replicas (whenScaled Delete: the
        // pod, so that the claim goes with it); then the pods go from the highest ordinal down, one at a time under OrderedReady.
        foreach ((int ordinal, V1Pod pod) in condemned)
        {
            await ApplyRetentionPolicyAsync(set, pod, ordinal, cancellationToken);
        }

        foreach ((int _, V1Pod pod) in condemned.OrderByDescending(c => c.Ordinal))
        {
            if (PodConditions.IsTerminating(pod))
            {
                if (monotonic)
                {
                    return;
                }

                continue;
            }

            Log.PodAction(Logger, key, "scaling down", pod.Metadata.Name);
            await DeletePodAsync(set, pod, cancellationToken);
            if (monotonic)
            {
                return;
            }
        }

        if (!rolling)
        {
            return;
        }

        // RollingUpdate: highest ordinal first, down to the partition; one pod at a time, waiting for readiness.
        for (int i = replicas - 1; i >= 0 && start + i >= partition; i--)
        {
            V1Pod? pod = slots[i];
            if (pod is null)
            {
                return;
            }

            if (RevisionOf(pod) != update.Metadata.Name && !PodConditions.IsTerminating(pod))
            {
                Log.PodAction(Logger, key, "updating", pod.Metadata.Name);
                await DeletePodAsync(set, pod, cancellationToken);
                return;
            }

            if (!PodConditions.IsRunningAndReady(pod))
            {
                return;
            }
        }
    }

    private async Task CreatePodAsync(V1StatefulSet set, int ordinal, V1PodTemplateSpec template, V1ControllerRevision revision, CancellationToken cancellationToken)
    {
        string ns = set.Metadata.NamespaceProperty;
        string key = ObjectKeys.KeyOf(set);
        string podName = PodName(set, ordinal);
        V1PodSpec spec = ModelCopies.Copy(template.Spec);
        spec.Hostname = podName;
        spec.Subdomain = set.Spec.ServiceName;
        spec.Volumes ??= [];
        foreach (V1PersistentVolumeClaim claimTemplate in set.Spec.VolumeClaimTemplates ?? [])
        {
            string volume = claimTemplate.Metadata.Name;
            string claimName = await EnsureClaimAsync(set, claimTemplate, podName, cancellationToken);

            foreach (V1Volume existing in spec.Volumes.Where(v => v.Name == volume).ToList())
            {
                spec.Volumes.Remove(existing);
            }

            spec.Volumes.Add(new V1Volume { Name = volume, PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claimName } });
        }

        var labels = new Dictionary<string, string>(template.Metadata?.Labels ?? new Dictionary<string, string>())
        {
            [PodNameLabel] = podName,
            [PodIndexLabel] = ordinal.ToString(CultureInfo.InvariantCulture),
            [ControllerRevisions.PodRevisionLabel] = revision.Metadata.Name,
        };
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                Name = podName,
                Labels = labels,
                Annotations = template.Metadata?.Annotations is { } annotations ? new Dictionary<string, string>(annotations) : null,
                OwnerReferences = [ControllerRevisions.ControllerReference(set, Kind)],
            },
            Spec = spec,
        };
        try
        {
            Log.PodAction(Logger, key, "creating", podName);
            V1Pod created = await Client.CoreV1.CreateNamespacedPodAsync(pod, ns, cancellationToken: cancellationToken);

            // The claims' owners as far as the policy can say now that the pod has a uid.
            await ApplyRetentionPolicyAsync(set, created, ordinal, cancellationToken);
            _events.Event(set, "Normal", "SuccessfulCreate", $"create Pod {podName} in StatefulSet {set.Metadata.Name} successful");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Already there: the informer has not shown it yet.
        }
        catch (HttpOperationException e)
        {
            _events.Event(set, "Warning", "FailedCreate", $"create Pod {podName} in StatefulSet {set.Metadata.Name} failed error: {PodEvents.ErrorOf(e)}");
            throw;
        }
    }

    /// <summary>
    /// Creates the claim <c>&lt;template&gt;-&lt;pod&gt;</c> from its template unless it exists; its name. A failure, or
    /// a claim being deleted, fails the sync, to be retried.
    /// </summary>
    private async Task<string> EnsureClaimAsync(V1StatefulSet set, V1PersistentVolumeClaim claimTemplate, string podName, CancellationToken cancellationToken)
    {
        string ns = set.Metadata.NamespaceProperty;
        string claimName = $"{claimTemplate.Metadata.Name}-{podName}";
        if (_claims.Store.Get($"{ns}/{claimName}") is { } existing)
        {
            return existing.Metadata.DeletionTimestamp is null ? claimName : throw new StatefulSetClaimException($"pvc {claimName} is being deleted");
        }

        var labels = new Dictionary<string, string>(claimTemplate.Metadata.Labels ?? new Dictionary<string, string>());
        foreach ((string k, string v) in set.Spec.Selector?.MatchLabels ?? new Dictionary<string, string>())
        {
            labels[k] = v;
        }

        var claim = new V1PersistentVolumeClaim
        {
            Metadata = new V1ObjectMeta
            {
                Name = claimName,
                Labels = labels,
                Annotations = claimTemplate.Metadata.Annotations is { } annotations ? new Dictionary<string, string>(annotations) : null,
            },
            Spec = ModelCopies.Copy(claimTemplate.Spec),
        };
        try
        {
            await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(claim, ns, cancellationToken: cancellationToken);
            _events.Event(set, "Normal", "SuccessfulCreate", $"create Claim {claimName} Pod {podName} in StatefulSet {set.Metadata.Name} success");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Already there.
        }
        catch (HttpOperationException e)
        {
            Log.CreateFailed(Logger, ObjectKeys.KeyOf(set), claimName, e.Response.Content);
            _events.Event(set, "Warning", "FailedCreate", $"create Claim {claimName} for Pod {podName} in StatefulSet {set.Metadata.Name} failed error: failed to create PVC {claimName}: {PodEvents.ErrorOf(e)}");
            throw;
        }

        return claimName;
    }

    private static string PodName(V1StatefulSet set, int ordinal) => $"{set.Metadata.Name}-{ordinal.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>PodClaimIsStale: whether a claim of the replica still belongs to an earlier pod of its name.</summary>
    private bool HasStaleClaim(V1StatefulSet set, int ordinal)
    {
        string podName = PodName(set, ordinal);
        return (set.Spec.VolumeClaimTemplates ?? []).Any(t =>
            _claims.Store.Get($"{set.Metadata.NamespaceProperty}/{t.Metadata.Name}-{podName}") is { } claim && ClaimRetention.IsStale(claim, set, podName, podUid: null));
    }

    /// <summary>UpdatePodClaimForRetentionPolicy: each of the pod's claims gets the ownerReferences the policy asks for.</summary>
    private async Task ApplyRetentionPolicyAsync(V1StatefulSet set, V1Pod pod, int ordinal, CancellationToken cancellationToken)
    {
        string ns = set.Metadata.NamespaceProperty;
        string key = ObjectKeys.KeyOf(set);
        foreach (V1PersistentVolumeClaim claimTemplate in set.Spec.VolumeClaimTemplates ?? [])
        {
            string claimName = $"{claimTemplate.Metadata.Name}-{pod.Metadata.Name}";
            if (_claims.Store.Get($"{ns}/{claimName}") is not { } claim)
            {
                // Not made yet, or not seen yet: the next sync picks it up.
                continue;
            }

            if (ClaimRetention.HasUnexpectedController(claim, set, pod))
            {
                _events.Event(set, "Warning", "ConflictingController", $"PersistentVolumeClaim {claimName} has a conflicting OwnerReference that acts as a manging controller, the retention policy is ignored for this claim");
            }

            if (ClaimRetention.IsUpToDate(claim, set, pod, ordinal))
            {
                continue;
            }

            V1PersistentVolumeClaim updated = ModelCopies.Copy(claim);
            updated.Metadata.OwnerReferences = ClaimRetention.OwnerReferencesFor(claim, set, pod, ordinal);
            Log.RetentionOwners(Logger, key, claimName);
            await Client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(updated, claimName, ns, cancellationToken: cancellationToken);
        }
    }

    private async Task DeletePodAsync(V1StatefulSet set, V1Pod pod, CancellationToken cancellationToken)
    {
        try
        {
            await Client.CoreV1.DeleteNamespacedPodAsync(
                pod.Metadata.Name, pod.Metadata.NamespaceProperty,
                new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } },
                cancellationToken: cancellationToken);
            _events.Event(set, "Normal", "SuccessfulDelete", $"delete Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} successful");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
        }
    }

    private async Task UpdateStatusAsync(V1StatefulSet set, V1ControllerRevision current, V1ControllerRevision update, List<V1Pod> pods, int? collisionCount, CancellationToken cancellationToken)
    {
        DateTimeOffset now = Time.GetUtcNow();
        int minReady = set.Spec.MinReadySeconds ?? 0;
        List<V1Pod> counted = pods.Where(p => OrdinalOf(set, p) >= 0).ToList();
        List<V1Pod> alive = counted.Where(p => !PodConditions.IsTerminating(p)).ToList();
        var status = new V1StatefulSetStatus
        {
            Replicas = counted.Count,
            ReadyReplicas = counted.Count(PodConditions.IsRunningAndReady),
            AvailableReplicas = counted.Count(p => PodConditions.IsRunningAndReady(p) && PodConditions.IsAvailable(p, minReady, now)),
            CurrentReplicas = alive.Count(p => RevisionOf(p) == current.Metadata.Name),
            UpdatedReplicas = alive.Count(p => RevisionOf(p) == update.Metadata.Name),
            CurrentRevision = current.Metadata.Name,
            UpdateRevision = update.Metadata.Name,
            CollisionCount = collisionCount,
            ObservedGeneration = set.Metadata.Generation,
            Conditions = set.Status?.Conditions,
        };

        // The rollout is complete once every replica is updated and ready: the update revision becomes current.
        if (set.Spec.UpdateStrategy?.Type != "OnDelete" && status.UpdatedReplicas == status.Replicas && status.ReadyReplicas == status.Replicas)
        {
            status.CurrentReplicas = status.UpdatedReplicas;
            status.CurrentRevision = status.UpdateRevision;
        }

        if (minReady > 0 && status.ReadyReplicas != status.AvailableReplicas)
        {
            Queue.AddAfter(ObjectKeys.KeyOf(set), TimeSpan.FromSeconds(minReady));
        }

        await StatusWrites.WriteAsync(set, status, set.Status, (s, st) => s.Status = st,
            copy => Client.AppsV1.ReplaceNamespacedStatefulSetStatusAsync(copy, set.Metadata.Name, set.Metadata.NamespaceProperty, cancellationToken: cancellationToken),
            Queue, ObjectKeys.KeyOf(set));
    }
}
