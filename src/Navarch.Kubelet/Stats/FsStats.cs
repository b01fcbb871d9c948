using System.Text.Json.Serialization;

namespace Navarch.Kubelet.Stats;

/// <summary>stats/v1alpha1 <c>FsStats</c> (what the runtime reports of a container's writable layer).</summary>
internal sealed record FsStats(
    [property: JsonPropertyName("time")] DateTime Time,
    [property: JsonPropertyName("usedBytes")] ulong? UsedBytes,
    [property: JsonPropertyName("inodesUsed")] ulong? InodesUsed);
