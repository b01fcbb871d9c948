using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Navarch.Api.Serialization;

/// <summary>
/// Converts between Kubernetes' JSON and its generated protobuf messages, field by field from the descriptors: the
/// proto field name is the JSON name (go-to-protobuf takes it from the json tag), except for Go's embedded structs
/// (<see cref="Inline"/>, whose fields sit in the parent object in JSON) and the types with their own JSON form
/// (<see cref="WriteSpecial"/>): metav1.Time and MicroTime as RFC 3339, resource.Quantity as its string,
/// intstr.IntOrString as a number or a string, RawExtension/FieldsV1 as embedded JSON, ExtraValue as an array.
/// A JSON field the message does not have is an error, so nothing is silently dropped.
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

    private static readonly Dictionary<MessageDescriptor, Dictionary<string, FieldPath>> Fields = [];

    internal static bool IsInline(FieldDescriptor field) =>
        Inline.Contains(field.FullName) || (field.Name == "localObjectReference" && field.MessageType?.Name == "LocalObjectReference");
    private static readonly Lock FieldsLock = new();

    /// <param name="Outer">The inline fields leading to <paramref name="Field"/>, outermost first.</param>
    /// <param name="Field">The field.</param>
    private sealed record FieldPath(FieldDescriptor[] Outer, FieldDescriptor Field);

    /// <summary>A JSON object as a message of <paramref name="descriptor"/>; 400-worthy shape errors are <see cref="FormatException"/>.</summary>
    public static IMessage ToMessage(JsonObject json, MessageDescriptor descriptor)
    {
        IMessage message = descriptor.Parser.ParseFrom(ByteString.Empty);
        Dictionary<string, FieldPath> fields = JsonFields(descriptor);
        foreach ((string name, JsonNode? value) in json)
        {
            if (value is null || name is "apiVersion" or "kind" && !fields.ContainsKey(name))
            {
                continue;
            }

            if (!fields.TryGetValue(name, out FieldPath? path))
            {
                throw new FormatException($"unknown field \"{name}\" in {descriptor.FullName}");
            }

            IMessage target = message;
            foreach (FieldDescriptor outer in path.Outer)
            {
                var inner = (IMessage?)outer.Accessor.GetValue(target);
                if (inner is null)
                {
                    inner = outer.MessageType.Parser.ParseFrom(ByteString.Empty);
                    outer.Accessor.SetValue(target, inner);
                }

                target = inner;
            }

            Set(target, path.Field, value);
        }

        return message;
    }

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

    private static void Set(IMessage target, FieldDescriptor field, JsonNode value)
    {
        if (field.IsMap)
        {
            var map = (IDictionary)field.Accessor.GetValue(target);
            FieldDescriptor valueField = field.MessageType.FindFieldByNumber(2);
            foreach ((string key, JsonNode? item) in value.AsObject())
            {
                map[key] = Read(valueField, item);
            }
        }
        else if (field.IsRepeated)
        {
            var list = (IList)field.Accessor.GetValue(target);
            foreach (JsonNode? item in value.AsArray())
            {
                list.Add(Read(field, item));
            }
        }
        else
        {
            field.Accessor.SetValue(target, Read(field, value));
        }
    }

    private static object Read(FieldDescriptor field, JsonNode? value)
    {
        if (field.FieldType == FieldType.Message)
        {
            return ReadMessage(field.MessageType, value);
        }

        if (value is null)
        {
            // A null list element or map value: its zero value, as Go's decoding gives.
            return field.FieldType switch
            {
                FieldType.String => "",
                FieldType.Bytes => ByteString.Empty,
                FieldType.Bool => false,
                FieldType.Double => 0d,
                FieldType.Float => 0f,
                FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => 0L,
                FieldType.UInt64 or FieldType.Fixed64 => 0UL,
                FieldType.UInt32 or FieldType.Fixed32 => 0U,
                _ => 0,
            };
        }

        JsonValue v = value.AsValue();
        return field.FieldType switch
        {
            FieldType.String => v.GetValue<string>(),
            FieldType.Bytes => ByteString.FromBase64(v.GetValue<string>()),
            FieldType.Bool => v.GetValue<bool>(),
            FieldType.Double => v.GetValue<double>(),
            FieldType.Float => v.GetValue<float>(),
            FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => v.GetValue<long>(),
            FieldType.UInt64 or FieldType.Fixed64 => v.GetValue<ulong>(),
            FieldType.UInt32 or FieldType.Fixed32 => v.GetValue<uint>(),
            FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => v.GetValue<int>(),
            _ => throw new FormatException($"unsupported field type {field.FieldType} of {field.FullName}"),
        };
    }

    private static IMessage ReadMessage(MessageDescriptor descriptor, JsonNode? value)
    {
        IMessage message = descriptor.Parser.ParseFrom(ByteString.Empty);
        FieldDescriptor First() => descriptor.FindFieldByNumber(1);
        switch (descriptor.FullName)
        {
            case Time or MicroTime:
            {
                if (value is null)
                {
                    return message;
                }

                DateTimeOffset time = DateTimeOffset.Parse(value.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                long ticks = time.UtcTicks - DateTime.UnixEpoch.Ticks;
                First().Accessor.SetValue(message, ticks / TimeSpan.TicksPerSecond);
                descriptor.FindFieldByNumber(2).Accessor.SetValue(message, (int)(ticks % TimeSpan.TicksPerSecond * 100));
                return message;
            }

            case Quantity:
                First().Accessor.SetValue(message, value is JsonValue q ? q.ToJsonString().Trim('"') : "");
                return message;
            case IntOrString:
                if (value is JsonValue s && s.GetValueKind() == JsonValueKind.String)
                {
                    First().Accessor.SetValue(message, 1L);
                    descriptor.FindFieldByNumber(3).Accessor.SetValue(message, s.GetValue<string>());
                }
                else
                {
                    First().Accessor.SetValue(message, 0L);
                    descriptor.FindFieldByNumber(2).Accessor.SetValue(message, value?.GetValue<int>() ?? 0);
                }

                return message;
            case RawExtension or FieldsV1 or ApiExtensions + "JSON":
                First().Accessor.SetValue(message, ByteString.CopyFrom(Encoding.UTF8.GetBytes(value?.ToJsonString() ?? "null")));
                return message;
            case ApiExtensions + "JSONSchemaPropsOrArray":
                if (value is JsonArray array)
                {
                    Set(message, descriptor.FindFieldByNumber(2), array);
                }
                else
                {
                    First().Accessor.SetValue(message, ReadMessage(First().MessageType, value));
                }

                return message;
            case ApiExtensions + "JSONSchemaPropsOrBool":
                if (value is JsonObject schema)
                {
                    First().Accessor.SetValue(message, true);
                    descriptor.FindFieldByNumber(2).Accessor.SetValue(message, ReadMessage(descriptor.FindFieldByNumber(2).MessageType, schema));
                }
                else
                {
                    First().Accessor.SetValue(message, value?.GetValue<bool>() ?? false);
                }

                return message;
            case ApiExtensions + "JSONSchemaPropsOrStringArray":
                if (value is JsonArray strings)
                {
                    Set(message, descriptor.FindFieldByNumber(2), strings);
                }
                else
                {
                    First().Accessor.SetValue(message, ReadMessage(First().MessageType, value));
                }

                return message;
        }

        if (descriptor.Name is "ExtraValue")
        {
            if (value is not null)
            {
                Set(message, First(), value);
            }

            return message;
        }

        return value switch
        {
            null => message,
            JsonObject obj => ToMessage(obj, descriptor),
            _ => throw new FormatException($"expected an object for {descriptor.FullName}, got {value.GetValueKind()}"),
        };
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

    private static Dictionary<string, FieldPath> JsonFields(MessageDescriptor descriptor)
    {
        lock (FieldsLock)
        {
            if (Fields.TryGetValue(descriptor, out Dictionary<string, FieldPath>? known))
            {
                return known;
            }
        }

        var fields = new Dictionary<string, FieldPath>(StringComparer.Ordinal);
        Collect(descriptor, [], fields);
        lock (FieldsLock)
        {
            Fields[descriptor] = fields;
        }

        return fields;
    }

    private static void Collect(MessageDescriptor descriptor, FieldDescriptor[] outer, Dictionary<string, FieldPath> fields)
    {
        foreach (FieldDescriptor field in descriptor.Fields.InFieldNumberOrder())
        {
            if (IsInline(field))
            {
                Collect(field.MessageType, [.. outer, field], fields);
            }
            else
            {
                fields.TryAdd(JsonName(descriptor, field), new FieldPath(outer, field));
            }
        }
    }
}
