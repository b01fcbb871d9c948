namespace Navarch.ApiServer.ResourceMetrics;

/// <summary>One container's usage over the window ending at <paramref name="Timestamp"/>: CPU in nanocores, memory as its working set in bytes.</summary>
internal readonly record struct ContainerUsage(string Name, long NanoCores, long WorkingSetBytes, DateTimeOffset Timestamp, TimeSpan Window);
