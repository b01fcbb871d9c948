using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s.Models;

namespace Navarch.Api.Apiextensions;

/// <summary>
/// Reads and writes a <see cref="CustomResource"/> as the JSON object it is: apiVersion, kind, metadata (through the
/// options' own converters, so timestamps and quantities read as for any object), then the rest as it came.
/// </summary>
internal sealed class CustomResourceJsonConverter : JsonConverter<CustomResource>
{
    public override CustomResource? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (JsonNode.Parse(ref reader, new JsonNodeOptions { PropertyNameCaseInsensitive = false }) is not JsonObject content)
        {
            throw new JsonException("Object 'Kind' is missing in the request body: a custom resource must be a JSON object");
        }

        var resource = new CustomResource
        {
            ApiVersion = Text(content, "apiVersion"),
            Kind = Text(content, "kind"),
            Metadata = content["metadata"] is { } metadata ? metadata.Deserialize<V1ObjectMeta>(options) ?? new V1ObjectMeta() : new V1ObjectMeta(),
        };
        content.Remove("apiVersion");
        content.Remove("kind");
        content.Remove("metadata");
        resource.Content = content;
        return resource;
    }

    public override void Write(Utf8JsonWriter writer, CustomResource value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("apiVersion", value.ApiVersion);
        writer.WriteString("kind", value.Kind);
        writer.WritePropertyName("metadata");
        JsonSerializer.Serialize(writer, value.Metadata, options);
        foreach ((string name, JsonNode? node) in value.Content)
        {
            writer.WritePropertyName(name);
            if (node is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                node.WriteTo(writer, options);
            }
        }

        writer.WriteEndObject();
    }

    private static string Text(JsonObject content, string field) => content[field] switch
    {
        null => "",
        JsonValue v when v.TryGetValue(out string? s) => s,
        _ => throw new JsonException($"{field} must be a string"),
    };
}
