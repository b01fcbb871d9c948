using System.Collections;
using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Navarch.Api.Serialization;

/// <summary>
/// Converts Kubernetes' generated protobuf messages to its JSON, field by field from the descriptors (the other way,
/// JSON to the wire, is <see cref="ProtobufJsonWriter"/>, with these names and rules): the
/// proto field name is the JSON name (go-to-protobuf takes it from the json tag), except for Go's embedded structs
/// (<see cref="Inline"/>, whose fields sit in the parent object in JSON) and the types with their own JSON form
/// (<see cref="WriteSpecial"/>): metav1.Time and MicroTime as RFC 3339, resource.Quantity as its string,
/// intstr.IntOrString as a number or a string, RawExtension/FieldsV1 as embedded JSON, ExtraValue as an array.
/// </summary>
internal static class ProtobufJson
{
    private const string Meta = "k8s.io.apimachinery.pkg.apis.meta.v1.";
    private const string Time = Meta + "Time";
    private const string MicroTime = Meta + "MicroTime";
    private const string FieldsV1 = Meta + "FieldsV1";
    private const string Quantity = "k8s.io.apimachinery.pkg.api.resource.Quantity";
    private const string IntOrString = "k8s.io.apimachinery.pkg.util.intstr.IntOrString";
    private const string RawExtension = "k8s.io.apimachinery.pkg.runtime.RawExtension";
    private const string ApiExtensions = "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.";

    /// <summary>Go's embedded structs (<c>json:""</c> in types.go): their fields are the parent's in JSON.</summary>
    private static readonly HashSet<string> Inline =
    [
        "k8s.io.api.core.v1.Volume.volumeSource",
        "k8s.io.api.core.v1.PersistentVolumeSpec.persistentVolumeSource",
        "k8s.io.api.core.v1.Probe.handler",
        "k8s.io.api.core.v1.EphemeralContainer.ephemeralContainerCommon",
        "k8s.io.api.networking.v1.IngressRule.ingressRuleValue",
        "k8s.io.api.admissionregistration.v1.RuleWithOperations.rule",
        "k8s.io.api.admissionregistration.v1.NamedRuleWithOperations.ruleWithOperations",
    ];

    internal static bool IsInline(FieldDescriptor field) =>
        Inline.Contains(field.FullName) || (field.Name == "localObjectReference" && field.MessageType?.Name == "LocalObjectReference");

    /// <summary>
    /// A message as Kubernetes' JSON. <paramref name="goZeros"/>: it came from a Go client, which writes every scalar
    /// that is not a pointer even when zero, so a zero there means unset (<see cref="Protobuf.GoPointerScalars"/>).
    /// </summary>
    public static JsonObject ToJson(IMessage message, bool goZeros, JsonObject? into = null)
    {
        JsonObject json = into ?? [];
        AddFields(json, message, goZeros);
        return json;
    }

    private static void AddFields(JsonObject json, IMessage message, bool goZeros)
    {
        MessageDescriptor descriptor = message.Descriptor;
        foreach (FieldDescriptor field in descriptor.Fields.InFieldNumberOrder())
        {
            object? value = field.Accessor.GetValue(message);
            if (field.IsMap)
            {
                var map = (IDictionary)value!;
                if (map.Count > 0)
                {
                    var obj = new JsonObject();
                    FieldDescriptor valueField = field.MessageType.FindFieldByNumber(2);
                    foreach (DictionaryEntry entry in map)
                    {
                        obj[(string)entry.Key] = Write(valueField, entry.Value, goZeros);
                    }

                    json[JsonName(descriptor, field)] = obj;
                }
            }
            else if (field.IsRepeated)
            {
                var list = (IList)value!;
                if (list.Count > 0)
                {
                    json[JsonName(descriptor, field)] = new JsonArray(list.Cast<object>().Select(v => Write(field, v, goZeros)).ToArray());
                }
            }
            else if (field.FieldType == FieldType.Message)
            {
                if (value is not IMessage inner)
                {
                    continue;
                }

                if (IsInline(field))
                {
                    AddFields(json, inner, goZeros);
                }
                else if (Write(field, inner, goZeros) is { } written)
                {
                    json[JsonName(descriptor, field)] = written;
                }
            }
            else if (field.Accessor.HasValue(message) && !(goZeros && IsZero(value) && !Protobuf.GoPointerScalars.Fields.Contains(field.FullName)))
            {
                json[JsonName(descriptor, field)] = Write(field, value, goZeros);
            }
        }
    }

    private static bool IsZero(object? value) => value switch
    {
        string s => s.Length == 0,
        bool b => !b,
        int i => i == 0,
        long l => l == 0,
        uint u => u == 0,
        ulong u => u == 0,
        double d => d == 0,
        float f => f == 0,
        ByteString bytes => bytes.IsEmpty,
        _ => false,
    };

    private static JsonNode? Write(FieldDescriptor field, object? value, bool goZeros) => value switch
    {
        null => null,
        IMessage message => WriteSpecial(message, goZeros) is (true, var special) ? special : ToJson(message, goZeros),
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        uint u => JsonValue.Create(u),
        ulong u => JsonValue.Create(u),
        double d => JsonValue.Create(d),
        float f => JsonValue.Create(f),
        ByteString bytes => JsonValue.Create(bytes.ToBase64()),
        _ => throw new FormatException($"unsupported value {value.GetType()} in {field.FullName}"),
    };

    /// <summary>The types with a JSON form of their own (their MarshalJSON in apimachinery); (false, _) for any other.</summary>
    private static (bool, JsonNode?) WriteSpecial(IMessage message, bool goZeros)
    {
        string name = message.Descriptor.FullName;
        switch (name)
        {
            case Time or MicroTime:
            {
                long seconds = (long)message.Descriptor.FindFieldByNumber(1).Accessor.GetValue(message);
                int nanos = (int)message.Descriptor.FindFieldByNumber(2).Accessor.GetValue(message);
                if (seconds == 0 && nanos == 0)
                {
                    // Go writes a zero time as an empty message; in JSON it is null.
                    return (true, null);
                }

                DateTime time = DateTime.UnixEpoch.AddSeconds(seconds).AddTicks(nanos / 100);
                return (true, JsonValue.Create(time.ToString(name == Time ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)));
            }

            case Quantity:
                return (true, JsonValue.Create((string)message.Descriptor.FindFieldByNumber(1).Accessor.GetValue(message)));
            case IntOrString:
            {
                long type = (long)message.Descriptor.FindFieldByNumber(1).Accessor.GetValue(message);
                return (true, type == 1
                    ? JsonValue.Create((string)message.Descriptor.FindFieldByNumber(3).Accessor.GetValue(message))
                    : JsonValue.Create((int)message.Descriptor.FindFieldByNumber(2).Accessor.GetValue(message)));
            }

            case RawExtension or FieldsV1 or ApiExtensions + "JSON":
            {
                var raw = (ByteString)message.Descriptor.FindFieldByNumber(1).Accessor.GetValue(message);
                if (raw.Length == 0)
                {
                    return (true, null);
                }

                if (KubernetesProtobuf.IsEnveloped(raw.Span))
                {
                    return (true, KubernetesProtobuf.Decode(raw.Span, goZeros));
                }

                return (true, JsonNode.Parse(raw.Span));
            }

            case ApiExtensions + "JSONSchemaPropsOrArray":
            {
                var schema = (IMessage?)message.Descriptor.FindFieldByNumber(1).Accessor.GetValue(message);
                var schemas = (IList)message.Descriptor.FindFieldByNumber(2).Accessor.GetValue(message);
                return (true, schema is not null ? ToJson(schema, goZeros) : new JsonArray(schemas.Cast<IMessage>().Select(s => (JsonNode?)ToJson(s, goZeros)).ToArray()));
            }

            case ApiExtensions + "JSONSchemaPropsOrBool":
            {
                bool allows = (bool)message.Descriptor.FindFieldByNumber(1).Accessor.GetValue(message);
                var schema = (IMessage?)message.Descriptor.FindFieldByNumber(2).Accessor.GetValue(message);
                return (true, schema is not null ? ToJson(schema, goZeros) : JsonValue.Create(allows));
            }

            case ApiExtensions + "JSONSchemaPropsOrStringArray":
            {
                var schema = (IMessage?)message.Descriptor.FindFieldByNumber(1).Accessor.GetValue(message);
                var property = (IList)message.Descriptor.FindFieldByNumber(2).Accessor.GetValue(message);
                return (true, schema is not null ? ToJson(schema, goZeros) : new JsonArray(property.Cast<string>().Select(p => (JsonNode?)JsonValue.Create(p)).ToArray()));
            }
        }

        if (message.Descriptor.Name is "ExtraValue")
        {
            var items = (IList)message.Descriptor.FindFieldByNumber(1).Accessor.GetValue(message);
            return (true, new JsonArray(items.Cast<string>().Select(p => (JsonNode?)JsonValue.Create(p)).ToArray()));
        }

        return (false, null);
    }

    /// <summary>The JSON name of a field: its proto name, but for JSONSchemaProps' <c>$ref</c>, <c>$schema</c> and <c>x-kubernetes-*</c>.</summary>
    internal static string JsonName(MessageDescriptor descriptor, FieldDescriptor field)
    {
        if (descriptor.FullName != ApiExtensions + "JSONSchemaProps")
        {
            // A few Go fields have no protobuf name= and keep the Go name there (admissionregistration's Webhooks,
            // Expression, Name); their JSON name is lower camel case. DaemonEndpoint's "Port" is "Port" in JSON too.
            // go-to-protobuf lower-cases only the first letter of a Go name where the tag has no name=
            // (IngressClassParametersReference's "aPIGroup", BoundObjectReference's "uID").
            if (field.Name is "aPIGroup" or "uID")
            {
                return field.Name == "uID" ? "uid" : "apiGroup";
            }

            return char.IsUpper(field.Name[0]) && field.FullName != "k8s.io.api.core.v1.DaemonEndpoint.Port"
                ? char.ToLowerInvariant(field.Name[0]) + field.Name[1..]
                : field.Name;
        }

        return field.Name switch
        {
            "ref" => "$ref",
            "schema" => "$schema",
            string n when n.StartsWith("xKubernetes", StringComparison.Ordinal) => "x-kubernetes-" + string.Concat(n["xKubernetes".Length..].Select((c, i) => char.IsUpper(c) ? (i == 0 ? "" : "-") + char.ToLowerInvariant(c) : c.ToString())),
            _ => field.Name,
        };
    }
}
