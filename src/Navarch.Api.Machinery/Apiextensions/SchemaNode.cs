using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;

namespace Navarch.Api.Apiextensions;

/// <summary>
/// One node of a structural schema, precompiled from <see cref="V1JSONSchemaProps"/> once per CRD version: the
/// <c>object</c>-typed fields of the generated model (items, additionalProperties, default, enum) read into typed
/// members, the pattern as a <see cref="Regex"/>, the <c>x-kubernetes-validations</c> as compiled CEL programs.
/// </summary>
internal sealed class SchemaNode
{
    private static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(200);

    public string? Type { get; private init; }
    public string? Format { get; private init; }
    public bool Nullable { get; private init; }
    public bool IntOrString { get; private init; }
    public bool EmbeddedResource { get; private init; }
    public bool PreserveUnknownFields { get; private init; }
    public IReadOnlyDictionary<string, SchemaNode> Properties { get; private init; } = new Dictionary<string, SchemaNode>();
    public SchemaNode? Items { get; private init; }
    public SchemaNode? AdditionalProperties { get; private init; }

    /// <summary><c>additionalProperties: true</c> (any value) or a schema: unknown keys are kept.</summary>
    public bool AllowsAdditionalProperties { get; private init; }
    public IReadOnlyList<string> Required { get; private init; } = [];
    public IReadOnlyList<JsonNode?>? Enum { get; private init; }
    public string? Pattern { get; private init; }
    public Regex? PatternRegex { get; private init; }
    public double? Minimum { get; private init; }
    public double? Maximum { get; private init; }
    public bool ExclusiveMinimum { get; private init; }
    public bool ExclusiveMaximum { get; private init; }
    public double? MultipleOf { get; private init; }
    public long? MinLength { get; private init; }
    public long? MaxLength { get; private init; }
    public long? MinItems { get; private init; }
    public long? MaxItems { get; private init; }
    public long? MinProperties { get; private init; }
    public long? MaxProperties { get; private init; }
    public bool UniqueItems { get; private init; }
    public JsonNode? Default { get; private init; }
    public string? ListType { get; private init; }
    public IReadOnlyList<string> ListMapKeys { get; private init; } = [];
    public string? MapType { get; private init; }
    public IReadOnlyList<SchemaRule> Rules { get; private init; } = [];
    public IReadOnlyList<SchemaNode> AllOf { get; private init; } = [];
    public IReadOnlyList<SchemaNode> AnyOf { get; private init; } = [];
    public IReadOnlyList<SchemaNode> OneOf { get; private init; } = [];
    public SchemaNode? Not { get; private init; }

    /// <summary>True when the node carries allOf, anyOf, oneOf or not (value validations only, in a structural schema).</summary>
    public bool HasJunctors => AllOf.Count > 0 || AnyOf.Count > 0 || OneOf.Count > 0 || Not is not null;

    /// <summary>The schema type as the CEL errors print it ("object", "string", ...; int-or-string is "object" there too).</summary>
    public string TypeName => Type ?? "object";

    public static SchemaNode From(V1JSONSchemaProps props)
    {
        var additional = ReadSchemaOrBool(props.AdditionalProperties, out bool? additionalAllowed);
        string? pattern = string.IsNullOrEmpty(props.Pattern) ? null : props.Pattern;
        return new SchemaNode
        {
            Type = string.IsNullOrEmpty(props.Type) ? null : props.Type,
            Format = string.IsNullOrEmpty(props.Format) ? null : props.Format,
            Nullable = props.Nullable == true,
            IntOrString = props.XKubernetesIntOrString == true,
            EmbeddedResource = props.XKubernetesEmbeddedResource == true,
            PreserveUnknownFields = props.XKubernetesPreserveUnknownFields == true,
            Properties = props.Properties?.ToDictionary(p => p.Key, p => From(p.Value), StringComparer.Ordinal) ?? new Dictionary<string, SchemaNode>(),
            Items = ReadSchemaOrBool(props.Items, out _) is { } items ? From(items) : null,
            AdditionalProperties = additional is null ? null : From(additional),
            AllowsAdditionalProperties = additional is not null || additionalAllowed == true,
            Required = props.Required?.ToArray() ?? [],
            Enum = props.EnumProperty?.Select(ToJsonNode).ToArray(),
            Pattern = pattern,
            PatternRegex = pattern is null ? null : TryRegex(pattern),
            Minimum = props.Minimum,
            Maximum = props.Maximum,
            ExclusiveMinimum = props.ExclusiveMinimum == true,
            ExclusiveMaximum = props.ExclusiveMaximum == true,
            MultipleOf = props.MultipleOf,
            MinLength = props.MinLength,
            MaxLength = props.MaxLength,
            MinItems = props.MinItems,
            MaxItems = props.MaxItems,
            MinProperties = props.MinProperties,
            MaxProperties = props.MaxProperties,
            UniqueItems = props.UniqueItems == true,
            Default = props.DefaultProperty is null ? null : ToJsonNode(props.DefaultProperty),
            ListType = props.XKubernetesListType,
            ListMapKeys = props.XKubernetesListMapKeys?.ToArray() ?? [],
            MapType = props.XKubernetesMapType,
            Rules = props.XKubernetesValidations?.Select(SchemaRule.Compile).ToArray() ?? [],
            AllOf = props.AllOf?.Select(From).ToArray() ?? [],
            AnyOf = props.AnyOf?.Select(From).ToArray() ?? [],
            OneOf = props.OneOf?.Select(From).ToArray() ?? [],
            Not = props.Not is null ? null : From(props.Not),
        };
    }

    /// <summary>
    /// The generated model types <c>items</c> and <c>additionalProperties</c> as object: a JsonElement when read from
    /// JSON, a <see cref="V1JSONSchemaProps"/> or a bool when built in code.
    /// </summary>
    internal static V1JSONSchemaProps? ReadSchemaOrBool(object? value, out bool? allows)
    {
        allows = null;
        switch (value)
        {
            case null:
                return null;
            case V1JSONSchemaProps schema:
                return schema;
            case bool b:
                allows = b;
                return null;
            case JsonElement { ValueKind: JsonValueKind.True or JsonValueKind.False } e:
                allows = e.GetBoolean();
                return null;
            case JsonElement { ValueKind: JsonValueKind.Object } e:
                return KubernetesJson.Deserialize<V1JSONSchemaProps>(e.GetRawText());
            case JsonNode { } node when node.GetValueKind() is JsonValueKind.True or JsonValueKind.False:
                allows = node.GetValue<bool>();
                return null;
            default:
                return KubernetesJson.Deserialize<V1JSONSchemaProps>(KubernetesJson.Serialize(value));
        }
    }

    internal static JsonNode? ToJsonNode(object? value) => value switch
    {
        null => null,
        JsonNode node => node.DeepClone(),
        JsonElement { ValueKind: JsonValueKind.Null } => null,
        JsonElement e => JsonNode.Parse(e.GetRawText()),
        _ => JsonNode.Parse(KubernetesJson.Serialize(value)),
    };

    private static Regex? TryRegex(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, PatternTimeout);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
