using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using k8s;
using Navarch.Api.Quantities;
using Navarch.Api.Serialization;

namespace Navarch.Api;

/// <summary>
/// The JSON settings of the official client (<c>KubernetesJson</c>), so objects are (de)serialized exactly as
/// clients expect, plus a strict variant for <c>fieldValidation=Strict</c> and the variants for what clients send.
/// All of them read quantities in bounded time (<see cref="ResourceQuantityJsonConverter"/>), nest up to
/// <see cref="MaxDepth"/>, and read a null list element as its zero value, as Kubernetes' Go decoding does.
/// </summary>
public static class KubernetesSerialization
{
    /// <summary>
    /// How deeply a document may nest. Kubernetes' JSON decoder allows 10000; Navarch's tree code (patches, copies)
    /// recurses per level on thread-pool threads with 1.5 MB stacks, so it stops well before a stack could run out.
    /// </summary>
    public const int MaxDepth = 1000;

    private static readonly JsonSerializerOptions Client = Capture();

    /// <summary>The client's settings (enums as strings, IntOrString, Quantity, dates), for what is stored or served: a quantity past 2^63-1 is capped.</summary>
    public static JsonSerializerOptions Options { get; } = Build(capQuantities: true, strict: false);

    /// <summary>The same, but unknown or duplicate fields are errors.</summary>
    public static JsonSerializerOptions Strict { get; } = Build(capQuantities: true, strict: true);

    /// <summary>For request bodies: a quantity past 2^63-1 is an error.</summary>
    public static JsonSerializerOptions Incoming { get; } = Build(capQuantities: false, strict: false);

    /// <summary>For request bodies under <c>fieldValidation=Strict</c>.</summary>
    public static JsonSerializerOptions IncomingStrict { get; } = Build(capQuantities: false, strict: true);

    /// <summary>
    /// Plain attribute-driven settings (nulls omitted), for the few types whose converter in the client only reads,
    /// such as <c>V1Status</c>.
    /// </summary>
    public static JsonSerializerOptions Plain { get; } = new()
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        // Messages quote names ("web" not found); keep them readable as kube-apiserver does.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        MaxDepth = MaxDepth,
    };

    /// <summary>Whether two model values serialize to the same JSON (how Kubernetes compares specs for generation bumps and immutability).</summary>
    public static bool JsonEquals(object? a, object? b) =>
        JsonSerializer.Serialize(a, Options) == JsonSerializer.Serialize(b, Options);

    /// <summary>A deep copy of a model value through its JSON form.</summary>
    public static T DeepCopy<T>(T value) =>
        JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value, Options), Options)!;

    private static JsonSerializerOptions Build(bool capQuantities, bool strict)
    {
        var options = new JsonSerializerOptions(Client)
        {
            MaxDepth = MaxDepth,
            TypeInfoResolver = (Client.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(NullElements.Modify),
        };
        options.Converters.Insert(0, new ResourceQuantityJsonConverter(capQuantities));
        options.Converters.Insert(1, new IntOrStringJsonConverter());
        if (strict)
        {
            options.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow;
            options.AllowDuplicateProperties = false;
        }

        return options;
    }

    private static JsonSerializerOptions Capture()
    {
        JsonSerializerOptions? captured = null;
        KubernetesJson.AddJsonOptions(o => captured = o);
        return captured ?? throw new InvalidOperationException("KubernetesJson did not expose its options");
    }
}
