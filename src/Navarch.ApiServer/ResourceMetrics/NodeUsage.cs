namespace Navarch.ApiServer.ResourceMetrics;

/// <summary>A node's usage: the sum of its pods' CPU rates and working sets, over the window ending at the timestamp.</summary>
internal readonly record struct NodeUsage(string Name, long NanoCores, long WorkingSetBytes, DateTimeOffset Timestamp, TimeSpan Window);
