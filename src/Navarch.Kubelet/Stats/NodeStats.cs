using System.Text.Json.Serialization;

namespace Navarch.Kubelet.Stats;

/// <summary>stats/v1alpha1 <c>NodeStats</c>: the whole machine's usage.</summary>
internal sealed record NodeStats(
    [property: JsonPropertyName("nodeName")] string NodeName,
    [property: JsonPropertyName("cpu")] CpuStats? Cpu,
    [property: JsonPropertyName("memory")] MemoryStats? Memory,
    [property: JsonPropertyName("swap")] SwapStats? Swap);
