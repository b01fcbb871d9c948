namespace Navarch.Kubelet.Stats;

/// <summary>
/// One reading of this machine's CPU and memory, as cAdvisor reports the root container: CPU time used by every core
/// since boot, memory in use (total less free), the working set (in use less the inactive file cache, which the kernel
/// reclaims first), what is left of the working set's limit (the machine's memory), and swap in use.
/// </summary>
internal readonly record struct NodeUsageSample(
    DateTimeOffset Time,
    ulong UsageCoreNanoSeconds,
    ulong? UsageNanoCores,
    ulong MemoryUsageBytes,
    ulong WorkingSetBytes,
    ulong AvailableBytes,
    ulong? SwapUsageBytes,
    ulong? SwapAvailableBytes);
