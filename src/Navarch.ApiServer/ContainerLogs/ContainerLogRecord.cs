using System.Text.Json.Serialization;

namespace Navarch.ApiServer.ContainerLogs;

/// <summary>One stored line: a JSON line in a segment file (short names: the store holds many of them).</summary>
internal sealed class ContainerLogRecord
{
    /// <summary>The line's time, nanoseconds since the epoch.</summary>
    [JsonPropertyName("t")]
    public long Time { get; set; }

    [JsonPropertyName("ns")]
    public string Namespace { get; set; } = "";

    [JsonPropertyName("pod")]
    public string Pod { get; set; } = "";

    [JsonPropertyName("uid")]
    public string PodUid { get; set; } = "";

    [JsonPropertyName("c")]
    public string Container { get; set; } = "";

    [JsonPropertyName("node")]
    public string Node { get; set; } = "";

    [JsonPropertyName("s")]
    public string Stream { get; set; } = "";

    [JsonPropertyName("m")]
    public string Message { get; set; } = "";

    [JsonPropertyName("l")]
    public Dictionary<string, string>? Labels { get; set; }

    /// <summary>The node's file the line came from and the offset just past it: what a batch sent again is recognised by.</summary>
    [JsonPropertyName("f")]
    public string File { get; set; } = "";

    [JsonPropertyName("o")]
    public long Offset { get; set; }
}
