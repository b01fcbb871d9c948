using System.Text.Json.Serialization;

namespace Navarch.E2E.Tests.Operator;

/// <summary>What a Pool asks for.</summary>
public sealed class PoolSpec
{
    [JsonPropertyName("replicas")]
    public int Replicas { get; set; }

    [JsonPropertyName("image")]
    public string? Image { get; set; }
}
