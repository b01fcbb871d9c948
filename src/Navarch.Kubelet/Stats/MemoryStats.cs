using System.Text.Json.Serialization;

namespace Navarch.Kubelet.Stats;

/// <summary>stats/v1alpha1 <c>MemoryStats</c>.</summary>
internal sealed record MemoryStats(
    [property: JsonPropertyName("time")] DateTime Time,
    [property: JsonPropertyName("availableBytes")] ulong? AvailableBytes,
    [property: JsonPropertyName("usageBytes")] ulong? UsageBytes,
    [property: JsonPropertyName("workingSetBytes")] ulong? WorkingSetBytes,
    [property: JsonPropertyName("rssBytes")] ulong? RssBytes = null,
    [property: JsonPropertyName("pageFaults")] ulong? PageFaults = null,
    [property: JsonPropertyName("majorPageFaults")] ulong? MajorPageFaults = null);
