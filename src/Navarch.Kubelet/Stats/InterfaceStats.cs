namespace Navarch.Kubelet.Stats;

/// <summary>cAdvisor's <c>InterfaceStats</c>: one network interface's counters, as <c>/proc/&lt;pid&gt;/net/dev</c> gives them.</summary>
internal sealed record InterfaceStats(
    string Name,
    ulong RxBytes,
    ulong RxPackets,
    ulong RxErrors,
    ulong RxDropped,
    ulong TxBytes,
    ulong TxPackets,
    ulong TxErrors,
    ulong TxDropped);
