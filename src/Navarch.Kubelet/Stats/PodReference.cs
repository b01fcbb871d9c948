using System.Text.Json.Serialization;

namespace Navarch.Kubelet.Stats;

/// <summary>stats/v1alpha1 <c>PodReference</c>.</summary>
internal sealed record PodReference(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("uid")] string Uid);
