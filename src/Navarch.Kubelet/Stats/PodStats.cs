using System.Text.Json.Serialization;

namespace Navarch.Kubelet.Stats;

/// <summary>stats/v1alpha1 <c>PodStats</c>: a pod's containers, and the pod as their sum.</summary>
internal sealed record PodStats(
    [property: JsonPropertyName("podRef")] PodReference PodRef,
    [property: JsonPropertyName("startTime")] DateTime? StartTime,
    [property: JsonPropertyName("containers")] IReadOnlyList<ContainerStatsSummary> Containers,
    [property: JsonPropertyName("cpu")] CpuStats? Cpu,
    [property: JsonPropertyName("memory")] MemoryStats? Memory);
