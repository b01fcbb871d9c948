using System.Text.Json.Serialization;

namespace Navarch.Kubelet.Stats;

/// <summary>stats/v1alpha1 <c>CPUStats</c>: the rate over the last sampling window, and the cumulative time.</summary>
internal sealed record CpuStats(
    [property: JsonPropertyName("time")] DateTime Time,
    [property: JsonPropertyName("usageNanoCores")] ulong? UsageNanoCores,
    [property: JsonPropertyName("usageCoreNanoSeconds")] ulong? UsageCoreNanoSeconds);
