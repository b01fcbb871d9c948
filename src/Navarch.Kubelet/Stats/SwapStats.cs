using System.Text.Json.Serialization;

namespace Navarch.Kubelet.Stats;

/// <summary>stats/v1alpha1 <c>SwapStats</c>.</summary>
internal sealed record SwapStats(
    [property: JsonPropertyName("time")] DateTime Time,
    [property: JsonPropertyName("swapAvailableBytes")] ulong? SwapAvailableBytes,
    [property: JsonPropertyName("swapUsageBytes")] ulong? SwapUsageBytes);
