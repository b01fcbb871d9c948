using System.Collections;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Navarch.Api.Protobuf.OpenApi.V2;

namespace Navarch.ApiServer.OpenApi;

/// <summary>
/// The Swagger 2.0 document as gnostic's <c>openapi.v2.Document</c>, the protobuf form kube-apiserver serves at
/// /openapi/v2 (kube-openapi's ToProtoBinary) and that older kubectl and client-go's discovery ask for. The JSON is
/// read into the generated messages by their descriptors, the way gnostic's compiler reads the document: a field's
/// JSON name is its proto name in lower camel case (<c>base_path</c> is <c>basePath</c>, <c>_ref</c> is <c>$ref</c>);
/// <c>x-</c> fields go to <c>vendor_extension</c>; the messages that stand for a JSON object with names of its own
/// (Paths, Definitions, Properties, Responses, ...) hold one Named* entry per property; the oneof messages pick their
/// case from the value (a <c>$ref</c>, a parameter's <c>in</c>, a schema's <c>type: file</c>, ...); free-form values
/// (defaults, examples, enums, extensions) are an Any whose yaml is the value's JSON, which YAML readers accept.
/// </summary>
internal static class OpenApiV2Protobuf
{
    /// <summary>The media type kube-openapi answers with (the one with "@" is the older spelling clients still send).</summary>
    public const string MediaType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

    /// <summary>The older spelling of <see cref="MediaType"/>, accepted too.</summary>
    public const string DeprecatedMediaType = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

    /// <summary><paramref name="json"/>, a Swagger 2.0 document, as a serialized openapi.v2.Document.</summary>
    public static byte[] Convert(ReadOnlyMemory<byte> json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return Read(Document.Descriptor, document.RootElement).ToByteArray();
    }

    private static IMessage Read(MessageDescriptor descriptor, JsonElement json)
    {
        IMessage message = descriptor.Parser.ParseFrom(ByteString.Empty);
        switch (descriptor.Name)
        {
            case "Any":
                Set(message, "yaml", json.GetRawText());
                return message;
            case "AdditionalPropertiesItem":
                return json.ValueKind is JsonValueKind.True or JsonValueKind.False
                    ? Set(message, "boolean", json.GetBoolean())
                    : SetMessage(message, "schema", json);
            case "ItemsItem":
                AddAll(message, "schema", OneOrMany(json));
                return message;
            case "TypeItem":
                AddAll(message, "value", OneOrMany(json));
                return message;
            case "StringArray":
                AddAll(message, "value", json.EnumerateArray());
                return message;
            case "ParametersItem":
                return SetMessage(message, json.TryGetProperty("$ref", out _) ? "json_reference" : "parameter", json);
            case "ResponseValue":
                return SetMessage(message, json.TryGetProperty("$ref", out _) ? "json_reference" : "response", json);
            case "Parameter":
                return SetMessage(message, In(json) == "body" ? "body_parameter" : "non_body_parameter", json);
            case "NonBodyParameter":
                return SetMessage(message, In(json) switch
                {
                    "header" => "header_parameter_sub_schema",
                    "formData" => "form_data_parameter_sub_schema",
                    "path" => "path_parameter_sub_schema",
                    _ => "query_parameter_sub_schema",
                }, json);
            case "SchemaItem":
                return SetMessage(message, Text(json, "type") == "file" ? "file_schema" : "schema", json);
            case "SecurityDefinitionsItem":
                return SetMessage(message, (Text(json, "type"), Text(json, "flow")) switch
                {
                    ("basic", _) => "basic_authentication_security",
                    ("apiKey", _) => "api_key_security",
                    (_, "implicit") => "oauth2_implicit_security",
                    (_, "password") => "oauth2_password_security",
                    (_, "application") => "oauth2_application_security",
                    _ => "oauth2_access_code_security",
                }, json);
        }

        if (json.ValueKind != JsonValueKind.Object)
        {
            return message;
        }

        FieldDescriptor? extensions = descriptor.FindFieldByName("vendor_extension");
        if (NamedEntries(descriptor) is { } entries)
        {
            foreach (JsonProperty property in json.EnumerateObject())
            {
                FieldDescriptor target = extensions is not null && property.Name.StartsWith("x-", StringComparison.Ordinal) ? extensions : entries;
                ((IList)target.Accessor.GetValue(message)).Add(Named(target.MessageType, property));
            }

            return message;
        }

        foreach (JsonProperty property in json.EnumerateObject())
        {
            if (extensions is not null && property.Name.StartsWith("x-", StringComparison.Ordinal))
            {
                ((IList)extensions.Accessor.GetValue(message)).Add(Named(extensions.MessageType, property));
            }
            else if (FieldOf(descriptor, property.Name) is { } field)
            {
                if (field.IsRepeated)
                {
                    if (property.Value.ValueKind == JsonValueKind.Array)
                    {
                        AddAll(message, field.Name, property.Value.EnumerateArray());
                    }
                }
                else
                {
                    field.Accessor.SetValue(message, Value(field, property.Value));
                }
            }

            // A field gnostic's schema does not have is left out, as its compiler reports and skips it.
        }

        return message;
    }

    /// <summary>For a message that stands for a JSON object with names of its own, its repeated Named* field; else null.</summary>
    private static FieldDescriptor? NamedEntries(MessageDescriptor descriptor)
    {
        FieldDescriptor[] others = [.. descriptor.Fields.InFieldNumberOrder().Where(f => f.Name != "vendor_extension")];
        return others is [{ IsRepeated: true, FieldType: FieldType.Message } only] && only.MessageType.Name.StartsWith("Named", StringComparison.Ordinal) ? only : null;
    }

    /// <summary>A Named* entry: name (1) and value (2).</summary>
    private static IMessage Named(MessageDescriptor descriptor, JsonProperty property)
    {
        IMessage named = descriptor.Parser.ParseFrom(ByteString.Empty);
        descriptor.FindFieldByNumber(1).Accessor.SetValue(named, property.Name);
        FieldDescriptor value = descriptor.FindFieldByNumber(2);
        value.Accessor.SetValue(named, Value(value, property.Value));
        return named;
    }

    private static FieldDescriptor? FieldOf(MessageDescriptor descriptor, string jsonName) =>
        JsonNames.GetOrAdd(descriptor, static d => d.Fields.InFieldNumberOrder().ToDictionary(f => f.Name == "_ref" ? "$ref" : f.JsonName, StringComparer.Ordinal))
            .GetValueOrDefault(jsonName);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<MessageDescriptor, Dictionary<string, FieldDescriptor>> JsonNames = new();

    private static object Value(FieldDescriptor field, JsonElement json) => field.FieldType switch
    {
        FieldType.Message => Read(field.MessageType, json),
        FieldType.String => json.ValueKind == JsonValueKind.String ? json.GetString()! : json.GetRawText(),
        FieldType.Bool => json.ValueKind == JsonValueKind.True,
        FieldType.Double => json.ValueKind == JsonValueKind.Number ? json.GetDouble() : 0d,
        FieldType.Int64 => json.ValueKind == JsonValueKind.Number && json.TryGetInt64(out long n) ? n : 0L,
        _ => throw new FormatException($"unsupported field type {field.FieldType} of {field.FullName}"),
    };

    private static IMessage Set(IMessage message, string field, object value)
    {
        message.Descriptor.FindFieldByName(field).Accessor.SetValue(message, value);
        return message;
    }

    private static IMessage SetMessage(IMessage message, string field, JsonElement json)
    {
        FieldDescriptor descriptor = message.Descriptor.FindFieldByName(field);
        descriptor.Accessor.SetValue(message, Read(descriptor.MessageType, json));
        return message;
    }

    private static void AddAll(IMessage message, string field, IEnumerable<JsonElement> items)
    {
        FieldDescriptor descriptor = message.Descriptor.FindFieldByName(field);
        var list = (IList)descriptor.Accessor.GetValue(message);
        foreach (JsonElement item in items)
        {
            list.Add(Value(descriptor, item));
        }
    }

    private static IEnumerable<JsonElement> OneOrMany(JsonElement json) =>
        json.ValueKind == JsonValueKind.Array ? json.EnumerateArray() : Enumerable.Repeat(json, 1);

    private static string? In(JsonElement json) => Text(json, "in");

    private static string? Text(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
