using System.Text.Json.Serialization;
using k8s.Models;

namespace Navarch.Api.Metrics;

/// <summary>metrics.k8s.io/v1beta1 ContainerMetrics: one container's usage.</summary>
public sealed class V1beta1ContainerMetrics
{
    /// <summary>The container's name.</summary>
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>The usage: <c>cpu</c> (cores) and <c>memory</c> (working set bytes).</summary>
    [JsonPropertyName("usage")]
    public IDictionary<string, ResourceQuantity> Usage { get; set; } = new Dictionary<string, ResourceQuantity>();
}
