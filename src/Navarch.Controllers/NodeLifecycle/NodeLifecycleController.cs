using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Client.Events;
using Navarch.Client.Informers;

namespace Navarch.Controllers.NodeLifecycle;

/// <summary>
/// kube-controller-manager's node lifecycle controller. Every --node-monitor-period (and on each node change) it
/// checks each node's health: the kubelet is heard from when the Ready condition's heartbeat changes or the node's
/// Lease in kube-node-lease is renewed; once neither happened for --node-monitor-grace-period the node's Ready,
/// MemoryPressure, DiskPressure and PIDPressure conditions become Unknown (NodeStatusUnknown) through the status
/// subresource, a NodeNotReady event is recorded and its pods are marked not ready. It then keeps the node's taints in
/// line with its conditions: node.kubernetes.io/unreachable:NoExecute for Ready=Unknown, not-ready:NoExecute for
/// Ready=False, neither for Ready=True (taint-based eviction, carried out by <see cref="TaintEvictionController"/>),
/// and the TaintNodesByCondition NoSchedule taints (not-ready, unreachable, memory/disk/pid-pressure,
/// network-unavailable, unschedulable). A node first seen without a lease gets its creationTimestamp (or its last
/// Ready heartbeat, if later) as the time it was last heard from.
/// </summary>
public sealed class NodeLifecycleController : QueueController
{
    private const string MonitorKey = ":monitor";
    private const string LeaseNamespace = "kube-node-lease";
    private static readonly string[] MonitoredConditions = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

    private readonly Informer<V1Node> _nodes;
    private readonly Informer<V1Lease> _leases;
    private readonly Informer<V1Pod> _pods;
    private readonly EventRecorder _events;
    private readonly TimeSpan _gracePeriod;
    private readonly TimeSpan _monitorPeriod;
    private readonly ConcurrentDictionary<string, NodeHealth> _health = new(StringComparer.Ordinal);

    /// <summary>
    /// Creates the controller over the shared Node, Lease and Pod informers, with the manager's
    /// <see cref="ControllerManagerOptions.NodeMonitorGracePeriod"/> and <see cref="ControllerManagerOptions.NodeMonitorPeriod"/>.
    /// </summary>
    public NodeLifecycleController(ControllerContext context)
        : base("node-lifecycle", context)
    {
        _nodes = context.Informers.Get<V1Node>();
        _leases = context.Informers.Get<V1Lease>();
        _pods = context.Informers.Get<V1Pod>();
        _events = context.Recorder("node-controller");
        _gracePeriod = context.Options.NodeMonitorGracePeriod;
        _monitorPeriod = context.Options.NodeMonitorPeriod;
        _nodes.AddHandler(new ResourceEventHandler<V1Node>(n => Queue.Add(n.Metadata.Name), (n, _) =>
        {
            _health.TryRemove(n.Metadata.Name, out NodeHealth? _);
        }));
        _leases.AddHandler(new ResourceEventHandler<V1Lease> { AddFunc = LeaseChanged, UpdateFunc = (_, l) => LeaseChanged(l) });
    }

    /// <inheritdoc />
    public override Task RunAsync(int workers, CancellationToken cancellationToken)
    {
        Queue.Add(MonitorKey);
        return base.RunAsync(workers, cancellationToken);
    }

    private void LeaseChanged(V1Lease lease)
    {
        // A renewal only moves the probe time; the periodic monitor judges it, but a first lease is worth a look now.
        if (lease.Metadata.NamespaceProperty == LeaseNamespace && !_health.ContainsKey(lease.Metadata.Name))
        {
            Queue.Add(lease.Metadata.Name);
        }
    }

    /// <inheritdoc />
    protected override Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        if (key == MonitorKey)
        {
            foreach (V1Node node in _nodes.Store.List())
            {
                Queue.Add(node.Metadata.Name);
            }

            Queue.AddAfter(MonitorKey, _monitorPeriod);
            return Task.CompletedTask;
        }

        return SyncNodeAsync(key, cancellationToken);
    }

    private async Task SyncNodeAsync(string name, CancellationToken cancellationToken)
    {
        V1Node? cached = _nodes.Store.Get(name);
        if (cached is null)
        {
            _health.TryRemove(name, out NodeHealth? _);
            return;
        }

        V1Node node = cached;
        string? observedReady = ReadyCondition(node)?.Status;
        NodeHealth health = ObserveHealth(node);
        if (Time.GetUtcNow() > health.ProbeTime + _gracePeriod)
        {
            node = await MarkUnknownAsync(node, cancellationToken);
            // A condition added for a kubelet that never posted one carries the creationTimestamp: not a heartbeat.
            health.ReadyHeartbeat = ReadyCondition(node)?.LastHeartbeatTime;
        }

        string? currentReady = ReadyCondition(node)?.Status;
        if (health.ReadyStatus == "True" && currentReady != "True")
        {
            Log.NodeNotReady(Logger, name, currentReady ?? "<none>");
            _events.Event(WithKind(node), "Normal", "NodeNotReady", $"Node {name} status is now: NodeNotReady");
            health.PodsNotReadyPending = true;
        }

        health.ReadyStatus = currentReady ?? observedReady;
        if (currentReady == "True")
        {
            health.PodsNotReadyPending = false;
        }
        else if (health.PodsNotReadyPending)
        {
            await MarkPodsNotReadyAsync(name, cancellationToken);
            health.PodsNotReadyPending = false;
        }

        await ReconcileTaintsAsync(node, cancellationToken);
    }

    /// <summary>client-go's tryUpdateNodeHealth bookkeeping: a new Ready heartbeat or a renewed Lease is a probe now.</summary>
    private NodeHealth ObserveHealth(V1Node node)
    {
        DateTimeOffset now = Time.GetUtcNow();
        V1NodeCondition? ready = ReadyCondition(node);
        V1Lease? lease = _leases.Store.Get($"{LeaseNamespace}/{node.Metadata.Name}");
        DateTime? renewed = lease?.Spec?.RenewTime;
        if (!_health.TryGetValue(node.Metadata.Name, out NodeHealth? health))
        {
            // As tryUpdateNodeHealth does: a node first seen with a Ready condition gets a whole grace period from now
            // (its heartbeat is stored to the second and may be from before this controller started); one that never
            // posted status is judged from its creation.
            DateTimeOffset probe = ready is null ? ModelCopies.Utc(node.Metadata.CreationTimestamp ?? now.UtcDateTime) : now;
            health = new NodeHealth { ProbeTime = probe > now ? now : probe, ReadyHeartbeat = ready?.LastHeartbeatTime, ReadyStatus = ready?.Status };
            _health[node.Metadata.Name] = health;
            if (renewed is not null)
            {
                health.ProbeTime = now;
                health.LeaseRenewTime = renewed;
            }

            return health;
        }

        if (ready?.LastHeartbeatTime != health.ReadyHeartbeat)
        {
            health.ReadyHeartbeat = ready?.LastHeartbeatTime;
            health.ProbeTime = now;
        }

        if (renewed is not null && (health.LeaseRenewTime is null || renewed > health.LeaseRenewTime))
        {
            health.LeaseRenewTime = renewed;
            health.ProbeTime = now;
        }

        return health;
    }

    /// <summary>Sets the monitored conditions Unknown through the status subresource; returns the node as written.</summary>
    private async Task<V1Node> MarkUnknownAsync(V1Node node, CancellationToken cancellationToken)
    {
        V1Node copy = ModelCopies.Copy(node);
        copy.Status ??= new V1NodeStatus();
        copy.Status.Conditions ??= [];
        DateTime now = ModelCopies.Now(Time);
        bool changed = false;
        foreach (string type in MonitoredConditions)
        {
            V1NodeCondition? condition = copy.Status.Conditions.FirstOrDefault(c => c.Type == type);
            if (condition is null)
            {
                copy.Status.Conditions.Add(new V1NodeCondition
                {
                    Type = type,
                    Status = "Unknown",
                    Reason = "NodeStatusNeverUpdated",
                    Message = "Kubelet never posted node status.",
                    LastHeartbeatTime = node.Metadata.CreationTimestamp,
                    LastTransitionTime = now,
                });
                changed = true;
            }
            else if (condition.Status != "Unknown")
            {
                condition.Status = "Unknown";
                condition.Reason = "NodeStatusUnknown";
                condition.Message = "Kubelet stopped posting node status.";
                condition.LastTransitionTime = now;
                changed = true;
            }
        }

        if (!changed)
        {
            return node;
        }

        Log.NodeUnknown(Logger, node.Metadata.Name, _gracePeriod);
        return await Client.CoreV1.ReplaceNodeStatusAsync(copy, node.Metadata.Name, cancellationToken: cancellationToken);
    }

    /// <summary>nodeutil.MarkPodsNotReady: the Ready condition of every pod on the node becomes False.</summary>
    private async Task MarkPodsNotReadyAsync(string nodeName, CancellationToken cancellationToken)
    {
        DateTime now = ModelCopies.Now(Time);
        foreach (V1Pod pod in _pods.Store.List().Where(p => p.Spec?.NodeName == nodeName))
        {
            V1PodCondition? ready = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
            if (ready is null || ready.Status == "False")
            {
                continue;
            }

            V1Pod copy = ModelCopies.Copy(pod);
            V1PodCondition condition = copy.Status.Conditions.First(c => c.Type == "Ready");
            condition.Status = "False";
            condition.LastTransitionTime = now;
            try
            {
                await Client.CoreV1.ReplaceNamespacedPodStatusAsync(copy, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound)
            {
            }
        }
    }

    /// <summary>
    /// Brings the managed taints in line with the conditions: the NoExecute taint for the Ready status and the
    /// NoSchedule taints by condition. Taints kept keep their timeAdded; new ones get now.
    /// </summary>
    private async Task ReconcileTaintsAsync(V1Node node, CancellationToken cancellationToken)
    {
        var desired = new List<V1Taint>();
        foreach (V1NodeCondition condition in node.Status?.Conditions ?? [])
        {
            if (Taints.ByCondition.TryGetValue((condition.Type, condition.Status), out string? key))
            {
                desired.Add(new V1Taint { Key = key, Effect = Taints.NoSchedule });
            }
        }

        if (node.Spec?.Unschedulable == true)
        {
            desired.Add(new V1Taint { Key = Taints.Unschedulable, Effect = Taints.NoSchedule });
        }

        IList<V1Taint> current = node.Spec?.Taints ?? [];
        switch (ReadyCondition(node)?.Status)
        {
            case "False":
                desired.Add(new V1Taint { Key = Taints.NotReady, Effect = Taints.NoExecute });
                break;
            case "Unknown":
                desired.Add(new V1Taint { Key = Taints.Unreachable, Effect = Taints.NoExecute });
                break;
            case null:
                // No Ready condition yet: leave the NoExecute taints as they are.
                desired.AddRange(current.Where(t => t.Effect == Taints.NoExecute && Taints.IsManaged(t)));
                break;
        }

        List<V1Taint> managed = current.Where(Taints.IsManaged).ToList();
        bool same = managed.Count == desired.Count && desired.All(d => managed.Any(m => Taints.SameTaint(m, d)));
        if (same)
        {
            return;
        }

        DateTime now = ModelCopies.Now(Time);
        V1Node copy = ModelCopies.Copy(node);
        copy.Spec ??= new V1NodeSpec();
        var taints = copy.Spec.Taints?.Where(t => !Taints.IsManaged(t)).ToList() ?? [];
        foreach (V1Taint taint in desired)
        {
            V1Taint? kept = managed.FirstOrDefault(m => Taints.SameTaint(m, taint));
            taints.Add(kept is not null ? ModelCopies.Copy(kept) : new V1Taint { Key = taint.Key, Effect = taint.Effect, TimeAdded = now });
        }

        copy.Spec.Taints = taints;
        string summary = string.Join(", ", taints.Where(Taints.IsManaged).Select(t => $"{t.Key}:{t.Effect}"));
        Log.Tainting(Logger, node.Metadata.Name, summary);

        try
        {
            await Client.CoreV1.ReplaceNodeAsync(copy, node.Metadata.Name, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict)
        {
            // The informer brings the newer node (and another sync).
            Queue.AddRateLimited(node.Metadata.Name);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound)
        {
        }
    }

    private static V1NodeCondition? ReadyCondition(V1Node node) => node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");

    private static V1Node WithKind(V1Node node)
    {
        V1Node copy = ModelCopies.Copy(node);
        copy.ApiVersion = "v1";
        copy.Kind = "Node";
        return copy;
    }
}
