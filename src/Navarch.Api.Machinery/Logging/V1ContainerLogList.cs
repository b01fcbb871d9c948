using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Navarch.Api.Logging;

/// <summary>logging.navarch.io/v1 ContainerLogList: the lines a query matched, oldest first.</summary>
[KubernetesEntity(Group = "logging.navarch.io", Kind = "ContainerLogList", ApiVersion = "v1", PluralName = "containerlogs")]
public sealed class V1ContainerLogList : IKubernetesObject<V1ListMeta>, IItems<V1ContainerLog>
{
    /// <inheritdoc />
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "logging.navarch.io/v1";

    /// <inheritdoc />
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "ContainerLogList";

    /// <inheritdoc />
    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    /// <inheritdoc />
    [JsonPropertyName("items")]
    public IList<V1ContainerLog> Items { get; set; } = [];
}
