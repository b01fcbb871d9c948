using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Navarch.Api.Metrics;

/// <summary>metrics.k8s.io/v1beta1 PodMetrics: each container's CPU and memory usage over the window ending at the timestamp.</summary>
[KubernetesEntity(Group = "metrics.k8s.io", Kind = "PodMetrics", ApiVersion = "v1beta1", PluralName = "pods")]
public sealed class V1beta1PodMetrics : IKubernetesObject<V1ObjectMeta>
{
    /// <inheritdoc />
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "metrics.k8s.io/v1beta1";

    /// <inheritdoc />
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "PodMetrics";

    /// <inheritdoc />
    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>The end of the window the usage was measured over.</summary>
    [JsonPropertyName("timestamp")]
    public DateTime? Timestamp { get; set; }

    /// <summary>The window (a Go duration, e.g. <c>15s</c>).</summary>
    [JsonPropertyName("window")]
    public string? Window { get; set; }

    /// <summary>The containers' usage.</summary>
    [JsonPropertyName("containers")]
    public IList<V1beta1ContainerMetrics> Containers { get; set; } = [];
}
