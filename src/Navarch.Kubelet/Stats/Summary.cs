using System.Text.Json.Serialization;

namespace Navarch.Kubelet.Stats;

/// <summary>The kubelet's stats/v1alpha1 <c>Summary</c>, as <c>/stats/summary</c> answers it (the fields Navarch fills).</summary>
internal sealed record Summary(
    [property: JsonPropertyName("node")] NodeStats Node,
    [property: JsonPropertyName("pods")] IReadOnlyList<PodStats> Pods);
