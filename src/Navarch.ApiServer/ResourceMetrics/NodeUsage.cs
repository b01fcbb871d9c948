namespace Navarch.ApiServer.ResourceMetrics;

/// <summary>A node's usage: the machine's CPU rate and working set as its kubelet reports them (the sum of its pods' when it reports none), over the window ending at the timestamp.</summary>
internal readonly record struct NodeUsage(string Name, long NanoCores, long WorkingSetBytes, DateTimeOffset Timestamp, TimeSpan Window);
