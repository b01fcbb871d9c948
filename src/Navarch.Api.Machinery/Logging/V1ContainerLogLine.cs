using System.Text.Json.Serialization;

namespace Navarch.Api.Logging;

/// <summary>One logical line of a <see cref="V1ContainerLogFile"/>.</summary>
public sealed class V1ContainerLogLine
{
    /// <summary>The byte offset in the file just past the line's last fragment.</summary>
    [JsonPropertyName("offset")]
    public long Offset { get; set; }

    /// <summary>The runtime's timestamp (RFC 3339, up to nine fractional digits).</summary>
    [JsonPropertyName("time")]
    public string Time { get; set; } = "";

    /// <summary><c>stdout</c> or <c>stderr</c>.</summary>
    [JsonPropertyName("stream")]
    public string Stream { get; set; } = "";

    /// <summary>The text, without its newline.</summary>
    [JsonPropertyName("message")]
    public string Message { get; set; } = "";
}
