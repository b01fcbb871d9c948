using System.Text.Json.Serialization;

namespace Navarch.E2E.Tests.Operator;

/// <summary>What the operator reports about a Pool.</summary>
public sealed class PoolStatus
{
    [JsonPropertyName("replicas")]
    public int Replicas { get; set; }

    [JsonPropertyName("selector")]
    public string? Selector { get; set; }

    [JsonPropertyName("observedGeneration")]
    public long ObservedGeneration { get; set; }
}
