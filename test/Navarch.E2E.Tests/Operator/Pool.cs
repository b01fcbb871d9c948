using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Navarch.E2E.Tests.Operator;

/// <summary>The test operator's custom resource: ops.example.com/v1 Pool, a number of replicas of an image.</summary>
public sealed class Pool : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "ops.example.com";
    public const string Version = "v1";
    public const string Plural = "pools";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = $"{Group}/{Version}";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "Pool";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public PoolSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public PoolStatus? Status { get; set; }
}
