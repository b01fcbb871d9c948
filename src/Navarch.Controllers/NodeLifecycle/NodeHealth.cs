namespace Navarch.Controllers.NodeLifecycle;

/// <summary>
/// What the node lifecycle controller last saw of one node (client-go's nodeHealthData): when it last heard from the
/// kubelet (a new Ready heartbeat or a renewed Lease), and the heartbeat, renew time and Ready status it saw then.
/// </summary>
internal sealed class NodeHealth
{
    /// <summary>When the kubelet was last heard from; the node is unreachable once this is older than the grace period.</summary>
    public DateTimeOffset ProbeTime { get; set; }

    /// <summary>The Ready condition's lastHeartbeatTime last observed.</summary>
    public DateTime? ReadyHeartbeat { get; set; }

    /// <summary>The node Lease's spec.renewTime last observed.</summary>
    public DateTime? LeaseRenewTime { get; set; }

    /// <summary>The Ready condition's status last observed ("True", "False", "Unknown" or null when absent).</summary>
    public string? ReadyStatus { get; set; }

    /// <summary>True while the node's pods still have to be marked not ready after the node stopped being Ready.</summary>
    public bool PodsNotReadyPending { get; set; }
}
