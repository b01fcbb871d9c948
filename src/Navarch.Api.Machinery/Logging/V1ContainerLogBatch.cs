using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Navarch.Api.Logging;

/// <summary>
/// logging.navarch.io/v1 ContainerLogBatch: what a node's agent ships — new lines of its containers' CRI log files,
/// each with the byte offset in its file just past it, so a batch sent twice (the agent restarted before it recorded
/// the answer) is stored once. Create-only, answered and not stored as an object.
/// </summary>
[KubernetesEntity(Group = "logging.navarch.io", Kind = "ContainerLogBatch", ApiVersion = "v1", PluralName = "containerlogbatches")]
public sealed class V1ContainerLogBatch : IKubernetesObject<V1ObjectMeta>
{
    /// <inheritdoc />
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "logging.navarch.io/v1";

    /// <inheritdoc />
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "ContainerLogBatch";

    /// <inheritdoc />
    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>The shipping node (a node may ship only as itself).</summary>
    [JsonPropertyName("node")]
    public string Node { get; set; } = "";

    /// <summary>The files with new lines.</summary>
    [JsonPropertyName("files")]
    public IList<V1ContainerLogFile> Files { get; set; } = [];
}
