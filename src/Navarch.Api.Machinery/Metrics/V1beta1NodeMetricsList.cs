using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Navarch.Api.Metrics;

/// <summary>metrics.k8s.io/v1beta1 NodeMetricsList.</summary>
[KubernetesEntity(Group = "metrics.k8s.io", Kind = "NodeMetricsList", ApiVersion = "v1beta1", PluralName = "nodes")]
public sealed class V1beta1NodeMetricsList : IKubernetesObject<V1ListMeta>, IItems<V1beta1NodeMetrics>
{
    /// <inheritdoc />
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "metrics.k8s.io/v1beta1";

    /// <inheritdoc />
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "NodeMetricsList";

    /// <inheritdoc />
    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    /// <inheritdoc />
    [JsonPropertyName("items")]
    public IList<V1beta1NodeMetrics> Items { get; set; } = [];
}
