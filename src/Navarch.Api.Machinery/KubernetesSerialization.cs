using System.Text.Json;
using k8s;

namespace Navarch.Api;

/// <summary>
/// The JSON settings of the official client (<c>KubernetesJson</c>), so objects are (de)serialized exactly as
/// clients expect, plus a strict variant for <c>fieldValidation=Strict</c>.
/// </summary>
public static class KubernetesSerialization
{
    /// <summary>The client's own serializer options (enums as strings, IntOrString, Quantity, dates).</summary>
    public static JsonSerializerOptions Options { get; } = Capture();

    /// <summary>The same, but unknown or duplicate fields are errors.</summary>
    public static JsonSerializerOptions Strict { get; } = new(Options)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
    };

    /// <summary>
    /// Plain attribute-driven settings (nulls omitted), for the few types whose converter in the client only reads,
    /// such as <c>V1Status</c>.
    /// </summary>
    public static JsonSerializerOptions Plain { get; } = new()
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        // Messages quote names ("web" not found); keep them readable as kube-apiserver does.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Whether two model values serialize to the same JSON (how Kubernetes compares specs for generation bumps and immutability).</summary>
    public static bool JsonEquals(object? a, object? b) =>
        JsonSerializer.Serialize(a, Options) == JsonSerializer.Serialize(b, Options);

    /// <summary>A deep copy of a model value through its JSON form.</summary>
    public static T DeepCopy<T>(T value) =>
        JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value, Options), Options)!;

    private static JsonSerializerOptions Capture()
    {
        JsonSerializerOptions? captured = null;
        KubernetesJson.AddJsonOptions(o => captured = o);
        return captured ?? throw new InvalidOperationException("KubernetesJson did not expose its options");
    }
}
