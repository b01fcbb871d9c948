using System.Globalization;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Client.Controllers;
using Navarch.Client.Events;
using Navarch.Client.Informers;
using Navarch.Controllers.History;

namespace Navarch.Controllers.DaemonSet;

/// <summary>
/// Runs one pod of a DaemonSet on every eligible node, the way kube-controller-manager does: eligibility from the
/// template's nodeSelector, required node affinity and taints against tolerations (plus the tolerations every daemon
/// pod gets); pods are pinned to their node with required node affinity on <c>metadata.name</c> and left to the
/// scheduler to bind. Pods on ineligible or vanished nodes are deleted, failed ones replaced with back-off. The
/// template history lives in ControllerRevisions; RollingUpdate replaces old pods at most maxUnavailable at a time,
/// OnDelete only recreates deleted ones. Status is written last.
/// </summary>
public sealed class DaemonSetController : QueueController
{
    private const string Kind = "DaemonSet";
    private const string TemplateGenerationLabel = "pod-template-generation";
    private static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(15);
    private readonly Informer<V1DaemonSet> _daemonSets;
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1Node> _nodes;
    private readonly Informer<V1ControllerRevision> _revisions;
    private readonly ControllerExpectations _expectations;
    private readonly EventRecorder _events;
    private readonly Lock _backoffLock = new();
    private readonly Dictionary<string, (DateTimeOffset Until, TimeSpan Delay)> _failedBackoff = new(StringComparer.Ordinal);

    /// <summary>Creates the controller over the shared DaemonSet, Pod, Node and ControllerRevision informers.</summary>
    public DaemonSetController(ControllerContext context)
        : base("daemonset", context)
    {
        _events = context.Recorder("daemonset-controller");
        _daemonSets = context.Informers.Get<V1DaemonSet>();
        _pods = context.Informers.Get<V1Pod>();
        _nodes = context.Informers.Get<V1Node>();
        _revisions = context.Informers.Get<V1ControllerRevision>();
        _expectations = new ControllerExpectations(Time);
        _daemonSets.AddHandler(new ResourceEventHandler<V1DaemonSet>(Enqueue, (ds, _) =>
        {
            _expectations.Delete(ObjectKeys.KeyOf(ds));
            ForgetBackoff(ds.Metadata.Uid);
            Enqueue(ds);
        }));
        _pods.AddHandler(new ResourceEventHandler<V1Pod>
        {
            AddFunc = pod =>
            {
                if (OwnerKey(pod) is { } key)
                {
                    _expectations.CreationObserved(key);
                    Queue.Add(key);
                }
            },
            UpdateFunc = (old, pod) =>
            {
                EnqueueOwner(old);
                EnqueueOwner(pod);
            },
            DeleteFunc = (pod, _) =>
            {
                if (OwnerKey(pod) is { } key)
                {
                    _expectations.DeletionObserved(key);
                    Queue.Add(key);
                }
            },
        });
        _nodes.AddHandler(new ResourceEventHandler<V1Node>(_ => EnqueueAll()));
        _revisions.AddHandler(new ResourceEventHandler<V1ControllerRevision>(EnqueueOwner));
    }

    private static string? OwnerKey(IKubernetesObject<V1ObjectMeta> obj) =>
        ControllerRevisions.ControllerOf(obj, Kind) is { } owner ? $"{obj.Metadata.NamespaceProperty}/{owner.Name}" : null;

    private void EnqueueOwner(IKubernetesObject<V1ObjectMeta> obj)
    {
        if (OwnerKey(obj) is { } key)
        {
            Queue.Add(key);
        }
    }

    private void EnqueueAll()
    {
        foreach (V1DaemonSet ds in _daemonSets.Store.List())
        {
            Enqueue(ds);
        }
    }

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        V1DaemonSet? ds = _daemonSets.Store.Get(key);
        if (ds is null)
        {
            _expectations.Delete(key);
            return;
        }

        if (ds.Metadata.DeletionTimestamp is not null)
        {
            return;
        }

        string ns = ds.Metadata.NamespaceProperty;
        List<V1ControllerRevision> history = ControllerRevisions.OwnedBy(_revisions.Store, ns, ds.Metadata.Uid);
        (V1ControllerRevision update, int? collisionCount) = await ControllerRevisions.EnsureAsync(
            Client, ds, Kind, ds.Spec.Template, history, ds.Status?.CollisionCount, cancellationToken);
        string hash = update.Metadata.Labels?.TryGetValue(ControllerRevisions.HashLabel, out string? label) == true
            ? label
            : update.Metadata.Name[(ds.Metadata.Name.Length + 1)..];

        V1PodSpec probe = ModelCopies.Copy(ds.Spec.Template.Spec);
        DaemonPods.AddTolerations(probe);
        List<V1Node> nodes = _nodes.Store.List().OrderBy(n => n.Metadata.Name, StringComparer.Ordinal).ToList();
        Dictionary<string, (bool ShouldRun, bool ShouldContinueRunning)> placements = nodes.ToDictionary(n => n.Metadata.Name, n => DaemonPods.Evaluate(n, probe), StringComparer.Ordinal);

        List<V1Pod> claimed = await PodClaims.ClaimAsync(Client, ds, Kind, ds.Spec.Selector, _pods.Store.List(ns), cancellationToken);
        if (_expectations.SatisfiedExpectations(key))
        {
            Dictionary<string, List<V1Pod>> current = ByNode(claimed);
            await ManageAsync(key, ds, hash, nodes, placements, current, cancellationToken);
            if (_expectations.SatisfiedExpectations(key) && ds.Spec.UpdateStrategy?.Type != "OnDelete")
            {
                await RollingUpdateAsync(key, ds, hash, nodes, placements, current, cancellationToken);
            }
        }

        // Status from the cache as it is now, the pods just adopted included.
        var claimedUids = claimed.Select(p => p.Metadata.Uid).ToHashSet(StringComparer.Ordinal);
        Dictionary<string, List<V1Pod>> byNode = ByNode(_pods.Store.List(ns).Where(p => claimedUids.Contains(p.Metadata.Uid) || ControllerRevisions.ControllerOf(p, Kind)?.Uid == ds.Metadata.Uid));
        var live = new HashSet<string>(StringComparer.Ordinal) { update.Metadata.Name };
        foreach (V1Pod pod in byNode.Values.SelectMany(p => p))
        {
            if (pod.Metadata.Labels?.TryGetValue(ControllerRevisions.PodRevisionLabel, out string? podHash) == true)
            {
                live.Add($"{ds.Metadata.Name}-{podHash}");
            }
        }

        await ControllerRevisions.TrimAsync(Client, history, ds.Spec.RevisionHistoryLimit ?? 10, live, cancellationToken);
        await UpdateStatusAsync(ds, hash, placements, byNode, collisionCount, cancellationToken);
    }

    /// <summary>Daemon pods by the node they are for, oldest first.</summary>
    private static Dictionary<string, List<V1Pod>> ByNode(IEnumerable<V1Pod> pods) =>
        pods
            .OrderBy(p => p.Metadata.CreationTimestamp)
            .ThenBy(p => p.Metadata.Name, StringComparer.Ordinal)
            .GroupBy(p => DaemonPods.TargetNode(p) ?? "")
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

    private async Task ManageAsync(string key, V1DaemonSet ds, string hash, List<V1Node> nodes,
        Dictionary<string, (bool ShouldRun, bool ShouldContinueRunning)> placements, Dictionary<string, List<V1Pod>> byNode, CancellationToken cancellationToken)
    {
        var create = new List<string>();
        var delete = new List<V1Pod>();
        DateTimeOffset now = Time.GetUtcNow();
        int minReady = ds.Spec.MinReadySeconds ?? 0;
        bool surging = MaxSurge(ds, placements.Values.Count(p => p.ShouldRun)) > 0;
        foreach (V1Node node in nodes)
        {
            string name = node.Metadata.Name;
            (bool shouldRun, bool shouldContinueRunning) = placements[name];
            List<V1Pod> pods = byNode.GetValueOrDefault(name) ?? [];
            if (shouldRun && pods.Count == 0)
            {
                create.Add(name);
            }
            else if (shouldContinueRunning)
            {
                var running = new List<V1Pod>();
                foreach (V1Pod pod in pods.Where(p => !PodConditions.IsTerminating(p)))
                {
                    if (pod.Status?.Phase == "Failed")
                    {
                        // Replace a failed pod, but back off per node so a crashing daemon does not hot-loop.
                        string backoffKey = $"{ds.Metadata.Uid}/{name}";
                        TimeSpan? wait = NextAttempt(backoffKey, now);
                        if (wait is { } remaining)
                        {
                            Queue.AddAfter(key, remaining);
                        }
                        else
                        {
                            Log.DeletingFailed(Logger, pod.Metadata.Name, key, name);
                            delete.Add(pod);
                        }
                    }
                    else
                    {
                        running.Add(pod);
                    }
                }

                // More than one daemon pod on a node: keep the oldest — or, while surging, the oldest updated pod and
                // beside it the oldest old pod only while the updated one is not available yet and the old one is.
                V1Pod? updated = surging ? running.FirstOrDefault(p => IsUpdated(p, hash)) : null;
                V1Pod? previous = updated is null ? null : running.FirstOrDefault(p => !IsUpdated(p, hash));
                var keep = new HashSet<V1Pod>(ReferenceEqualityComparer.Instance);
                if (updated is not null)
                {
                    keep.Add(updated);
                    if (previous is not null && !PodConditions.IsAvailable(updated, minReady, now) && PodConditions.IsAvailable(previous, minReady, now))
                    {
                        keep.Add(previous);
                    }
                }
                else if (running.Count > 0)
                {
                    keep.Add(running[0]);
                }

                delete.AddRange(running.Where(p => !keep.Contains(p)));
            }
            else
            {
                delete.AddRange(pods.Where(p => !PodConditions.IsTerminating(p)));
            }
        }

        // Unscheduled pods pinned to nodes that no longer exist (bound ones are the pod garbage collector's).
        foreach ((string node, List<V1Pod> pods) in byNode)
        {
            if (!placements.ContainsKey(node))
            {
                delete.AddRange(pods.Where(p => !PodConditions.IsTerminating(p) && string.IsNullOrEmpty(p.Spec?.NodeName)));
            }
        }

        _expectations.ExpectCreations(key, create.Count);
        // ControllerExpectations sets adds or deletes; a negative lowering raises the deletions alongside.
        _expectations.Lower(key, 0, -delete.Count);
        bool[] created = await Task.WhenAll(create.Select(node => CreatePodAsync(ds, hash, node, cancellationToken)));
        int failed = created.Count(ok => !ok);
        if (failed > 0)
        {
            _expectations.Lower(key, failed, 0);
        }

        foreach (V1Pod pod in delete)
        {
            await DeletePodAsync(key, pod, cancellationToken);
        }
    }

    private void ForgetBackoff(string uid)
    {
        lock (_backoffLock)
        {
            foreach (string key in _failedBackoff.Keys.Where(k => k.StartsWith(uid + "/", StringComparison.Ordinal)).ToList())
            {
                _failedBackoff.Remove(key);
            }
        }
    }

    /// <summary>Null when a failed pod may be replaced now (the next back-off is armed), else how long to wait.</summary>
    private TimeSpan? NextAttempt(string backoffKey, DateTimeOffset now)
    {
        lock (_backoffLock)
        {
            if (_failedBackoff.TryGetValue(backoffKey, out var entry))
            {
                if (now < entry.Until)
                {
                    return entry.Until - now;
                }

                TimeSpan delay = TimeSpan.FromTicks(Math.Min(entry.Delay.Ticks * 2, MaxBackoff.Ticks));
                _failedBackoff[backoffKey] = (now + delay, delay);
                return null;
            }

            _failedBackoff[backoffKey] = (now + InitialBackoff, InitialBackoff);
            return null;
        }
    }

    private static int MaxSurge(V1DaemonSet ds, int desired) =>
        ds.Spec.UpdateStrategy?.Type is null or "RollingUpdate" ? Scaled(ds.Spec.UpdateStrategy?.RollingUpdate?.MaxSurge, desired, fallback: 0) : 0;

    /// <summary>
    /// RollingUpdate with maxSurge 0, as Kubernetes does it: nodes with no pod, two pods, or a new pod not yet
    /// available count as unavailable; old pods that are unavailable anyway go at once, available ones only while
    /// fewer than maxUnavailable nodes are unavailable. With maxSurge, see <see cref="SurgeAsync"/>.
    /// </summary>
    private async Task RollingUpdateAsync(string key, V1DaemonSet ds, string hash, List<V1Node> nodes,
        Dictionary<string, (bool ShouldRun, bool ShouldContinueRunning)> placements, Dictionary<string, List<V1Pod>> byNode, CancellationToken cancellationToken)
    {
        int desired = placements.Values.Count(p => p.ShouldRun);
        int maxSurge = MaxSurge(ds, desired);
        if (maxSurge > 0)
        {
            await SurgeAsync(key, ds, hash, nodes, placements, byNode, maxSurge, cancellationToken);
            return;
        }

        int maxUnavailable = Scaled(ds.Spec.UpdateStrategy?.RollingUpdate?.MaxUnavailable, desired, fallback: 1);
        if (maxUnavailable == 0)
        {
            maxUnavailable = 1;
        }

        int minReady = ds.Spec.MinReadySeconds ?? 0;
        DateTimeOffset now = Time.GetUtcNow();
        int unavailable = 0;
        var replaceNow = new List<V1Pod>();
        var candidates = new List<V1Pod>();
        foreach (V1Node node in nodes.Where(n => placements[n.Metadata.Name].ShouldRun))
        {
            List<V1Pod> pods = (byNode.GetValueOrDefault(node.Metadata.Name) ?? []).Where(p => !PodConditions.IsTerminating(p)).ToList();
            List<V1Pod> fresh = pods.Where(p => IsUpdated(p, hash)).ToList();
            List<V1Pod> old = pods.Where(p => !IsUpdated(p, hash)).ToList();
            if (fresh.Count > 1 || old.Count > 1 || (fresh.Count == 0) == (old.Count == 0))
            {
                unavailable++;
            }
            else if (fresh.Count == 1)
            {
                if (!PodConditions.IsAvailable(fresh[0], minReady, now))
                {
                    unavailable++;
                }
            }
            else if (!PodConditions.IsAvailable(old[0], minReady, now))
            {
                replaceNow.Add(old[0]);
            }
            else
            {
                candidates.Add(old[0]);
            }
        }

        int budget = Math.Clamp(maxUnavailable - unavailable, 0, candidates.Count);
        List<V1Pod> victims = [.. replaceNow, .. candidates.Take(budget)];
        if (victims.Count == 0)
        {
            if (minReady > 0 && unavailable > 0)
            {
                Queue.AddAfter(key, TimeSpan.FromSeconds(minReady));
            }

            return;
        }

        _expectations.ExpectDeletions(key, victims.Count);
        foreach (V1Pod pod in victims)
        {
            await DeletePodAsync(key, pod, cancellationToken);
        }
    }

    /// <summary>
    /// RollingUpdate with maxSurge, as Kubernetes does it: a new pod starts beside the old one on up to maxSurge nodes
    /// at a time (on nodes whose old pod is not available, at once), and the old pod goes once the new one is
    /// available — so a node never lacks an available daemon pod while it updates.
    /// </summary>
    private async Task SurgeAsync(string key, V1DaemonSet ds, string hash, List<V1Node> nodes,
        Dictionary<string, (bool ShouldRun, bool ShouldContinueRunning)> placements, Dictionary<string, List<V1Pod>> byNode, int maxSurge, CancellationToken cancellationToken)
    {
        int minReady = ds.Spec.MinReadySeconds ?? 0;
        DateTimeOffset now = Time.GetUtcNow();
        int surging = 0;
        var oldToDelete = new List<V1Pod>();
        var allowed = new List<string>();
        var candidates = new List<string>();
        foreach (V1Node node in nodes.Where(n => placements[n.Metadata.Name].ShouldRun))
        {
            List<V1Pod> pods = (byNode.GetValueOrDefault(node.Metadata.Name) ?? []).Where(p => !PodConditions.IsTerminating(p) && p.Status?.Phase != "Failed").ToList();
            List<V1Pod> fresh = pods.Where(p => IsUpdated(p, hash)).ToList();
            List<V1Pod> old = pods.Where(p => !IsUpdated(p, hash)).ToList();
            if (fresh.Count > 1 || old.Count > 1)
            {
                // Left to the manage pass to settle; counts as a node mid-surge.
                surging++;
            }
            else if (old.Count == 0)
            {
                // Up to date, or nothing yet (the manage pass creates it).
            }
            else if (fresh.Count == 0)
            {
                (PodConditions.IsAvailable(old[0], minReady, now) ? candidates : allowed).Add(node.Metadata.Name);
            }
            else if (!PodConditions.IsAvailable(fresh[0], minReady, now))
            {
                surging++;
            }
            else
            {
                oldToDelete.Add(old[0]);
            }
        }

        List<string> create = [.. allowed, .. candidates.Take(Math.Clamp(maxSurge - surging, 0, candidates.Count))];
        if (create.Count == 0 && oldToDelete.Count == 0)
        {
            if (minReady > 0 && surging > 0)
            {
                Queue.AddAfter(key, TimeSpan.FromSeconds(minReady));
            }

            return;
        }

        _expectations.ExpectCreations(key, create.Count);
        _expectations.Lower(key, 0, -oldToDelete.Count);
        bool[] created = await Task.WhenAll(create.Select(node => CreatePodAsync(ds, hash, node, cancellationToken)));
        if (created.Count(ok => !ok) is > 0 and int failed)
        {
            _expectations.Lower(key, failed, 0);
        }

        foreach (V1Pod pod in oldToDelete)
        {
            await DeletePodAsync(key, pod, cancellationToken);
        }
    }

    private static bool IsUpdated(V1Pod pod, string hash) =>
        pod.Metadata.Labels?.TryGetValue(ControllerRevisions.PodRevisionLabel, out string? have) == true && have == hash;

    /// <summary>An int or a percentage of <paramref name="total"/> (rounded up, as for maxUnavailable).</summary>
    private static int Scaled(IntOrString? value, int total, int fallback)
    {
        string? text = value?.Value;
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        if (text.EndsWith('%'))
        {
            return int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out int percent)
                ? (int)Math.Ceiling(percent * total / 100.0)
                : fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int count) ? count : fallback;
    }

    private async Task<bool> CreatePodAsync(V1DaemonSet ds, string hash, string nodeName, CancellationToken cancellationToken)
    {
        V1PodTemplateSpec template = ds.Spec.Template;
        var labels = new Dictionary<string, string>(template.Metadata?.Labels ?? new Dictionary<string, string>())
        {
            [ControllerRevisions.PodRevisionLabel] = hash,
            [TemplateGenerationLabel] = (ds.Metadata.Generation ?? 1).ToString(CultureInfo.InvariantCulture),
        };
        V1PodSpec spec = ModelCopies.Copy(template.Spec);
        DaemonPods.AddTolerations(spec);
        DaemonPods.PinToNode(spec, nodeName);
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                GenerateName = ds.Metadata.Name + "-",
                Labels = labels,
                Annotations = template.Metadata?.Annotations is { } annotations ? new Dictionary<string, string>(annotations) : null,
                OwnerReferences = [ControllerRevisions.ControllerReference(ds, Kind)],
            },
            Spec = spec,
        };
        try
        {
            PodEvents.Created(_events, ds, await Client.CoreV1.CreateNamespacedPodAsync(pod, ds.Metadata.NamespaceProperty, cancellationToken: cancellationToken));
            return true;
        }
        catch (HttpOperationException e)
        {
            Log.CreateFailed(Logger, ObjectKeys.KeyOf(ds), nodeName, e.Response.Content);
            PodEvents.CreateFailed(_events, ds, PodEvents.ErrorOf(e));
            return false;
        }
    }

    private async Task DeletePodAsync(string key, V1Pod pod, CancellationToken cancellationToken)
    {
        try
        {
            await Client.CoreV1.DeleteNamespacedPodAsync(
                pod.Metadata.Name, pod.Metadata.NamespaceProperty,
                new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } },
                cancellationToken: cancellationToken);
            if (_daemonSets.Store.Get(key) is { } ds)
            {
                PodEvents.Deleted(_events, ds, pod);
            }
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            _expectations.DeletionObserved(key);
        }
    }

    private async Task UpdateStatusAsync(V1DaemonSet ds, string hash, Dictionary<string, (bool ShouldRun, bool ShouldContinueRunning)> placements,
        Dictionary<string, List<V1Pod>> byNode, int? collisionCount, CancellationToken cancellationToken)
    {
        DateTimeOffset now = Time.GetUtcNow();
        int minReady = ds.Spec.MinReadySeconds ?? 0;
        int desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
        foreach ((string node, (bool shouldRun, _)) in placements)
        {
            List<V1Pod> pods = (byNode.GetValueOrDefault(node) ?? []).Where(p => !PodConditions.IsTerminating(p)).ToList();
            if (shouldRun)
            {
                desired++;
            }

            if (pods.Count == 0)
            {
                continue;
            }

            if (!shouldRun)
            {
                misscheduled++;
                continue;
            }

            current++;
            V1Pod oldest = pods[0];
            ready += PodConditions.IsReady(oldest) ? 1 : 0;
            available += PodConditions.IsAvailable(oldest, minReady, now) ? 1 : 0;
            updated += IsUpdated(oldest, hash) ? 1 : 0;
        }

        var status = new V1DaemonSetStatus
        {
            DesiredNumberScheduled = desired,
            CurrentNumberScheduled = current,
            NumberMisscheduled = misscheduled,
            NumberReady = ready,
            NumberAvailable = available,
            NumberUnavailable = desired - available,
            UpdatedNumberScheduled = updated,
            ObservedGeneration = ds.Metadata.Generation,
            CollisionCount = collisionCount,
            Conditions = ds.Status?.Conditions,
        };
        if (minReady > 0 && ready != available)
        {
            Queue.AddAfter(ObjectKeys.KeyOf(ds), TimeSpan.FromSeconds(minReady));
        }

        await StatusWrites.WriteAsync(ds, status, ds.Status, (d, s) => d.Status = s,
            copy => Client.AppsV1.ReplaceNamespacedDaemonSetStatusAsync(copy, ds.Metadata.Name, ds.Metadata.NamespaceProperty, cancellationToken: cancellationToken),
            Queue, ObjectKeys.KeyOf(ds));
    }
}
