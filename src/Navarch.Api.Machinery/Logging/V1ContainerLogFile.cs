using System.Text.Json.Serialization;

namespace Navarch.Api.Logging;

/// <summary>The new lines of one CRI log file in a <see cref="V1ContainerLogBatch"/>, with the pod they belong to.</summary>
public sealed class V1ContainerLogFile
{
    /// <summary>The file's path under the node's pod log folder (<c>NS_POD_UID/CONTAINER/N.log</c>): with the node, the key offsets are kept by.</summary>
    [JsonPropertyName("path")]
    public string Path { get; set; } = "";

    /// <summary>The pod's namespace.</summary>
    [JsonPropertyName("namespace")]
    public string Namespace { get; set; } = "";

    /// <summary>The pod's name.</summary>
    [JsonPropertyName("pod")]
    public string Pod { get; set; } = "";

    /// <summary>The pod's UID.</summary>
    [JsonPropertyName("podUID")]
    public string PodUid { get; set; } = "";

    /// <summary>The container's name.</summary>
    [JsonPropertyName("container")]
    public string Container { get; set; } = "";

    /// <summary>The pod's labels, when the agent knows them.</summary>
    [JsonPropertyName("labels")]
    public IDictionary<string, string>? Labels { get; set; }

    /// <summary>The lines, in file order.</summary>
    [JsonPropertyName("lines")]
    public IList<V1ContainerLogLine> Lines { get; set; } = [];
}
