using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Navarch.Api.Logging;

/// <summary>
/// logging.navarch.io/v1 ContainerLog: one line a container wrote, as the central log store keeps it. Its metadata is
/// the pod's (namespace, name, labels), so label and field selectors read as they do on pods; it outlives the pod.
/// </summary>
[KubernetesEntity(Group = "logging.navarch.io", Kind = "ContainerLog", ApiVersion = "v1", PluralName = "containerlogs")]
public sealed class V1ContainerLog : IKubernetesObject<V1ObjectMeta>
{
    /// <inheritdoc />
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "logging.navarch.io/v1";

    /// <inheritdoc />
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "ContainerLog";

    /// <summary>The pod's namespace, name and labels (when the line was shipped).</summary>
    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>The pod's UID, which tells apart two pods of one name.</summary>
    [JsonPropertyName("podUID")]
    public string PodUid { get; set; } = "";

    /// <summary>The container's name.</summary>
    [JsonPropertyName("container")]
    public string Container { get; set; } = "";

    /// <summary>The node the container ran on.</summary>
    [JsonPropertyName("node")]
    public string Node { get; set; } = "";

    /// <summary><c>stdout</c> or <c>stderr</c>.</summary>
    [JsonPropertyName("stream")]
    public string Stream { get; set; } = "";

    /// <summary>When the runtime read the line (RFC 3339 with nine fractional digits).</summary>
    [JsonPropertyName("time")]
    public string Time { get; set; } = "";

    /// <summary>The line, without its newline.</summary>
    [JsonPropertyName("message")]
    public string Message { get; set; } = "";
}
