using System.Text.Json.Serialization;

namespace Navarch.Kubelet.Stats;

/// <summary>stats/v1alpha1 <c>ContainerStats</c> (named apart from the CRI message of that name).</summary>
internal sealed record ContainerStatsSummary(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("startTime")] DateTime? StartTime,
    [property: JsonPropertyName("cpu")] CpuStats? Cpu,
    [property: JsonPropertyName("memory")] MemoryStats? Memory,
    [property: JsonPropertyName("rootfs")] FsStats? Rootfs);
