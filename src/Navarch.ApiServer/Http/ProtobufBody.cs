using System.Text.Json.Nodes;
using Google.Protobuf;
using Navarch.Api;

namespace Navarch.ApiServer.Http;

/// <summary>
/// Reads Kubernetes' protobuf request encoding (<c>application/vnd.kubernetes.protobuf</c>: the "k8s\0" magic and a
/// runtime.Unknown envelope around the object) into JSON, for the kinds kubectl's typed clients send that way:
/// kubectl 1.32 creates namespaces, config maps, secrets and service accounts in protobuf and does not fall back.
/// The field numbers are those of Kubernetes' generated.proto; fields not listed here are skipped.
/// </summary>
internal static class ProtobufBody
{
    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    private enum Kind
    {
        String,
        Bytes,
        Int,
        Bool,
        Time,
        Message,
        MapString,
        MapBytes,
        RepeatedString,
        RepeatedMessage,
    }

    private sealed record Field(string Name, Kind Kind, Dictionary<int, Field>? Schema = null);

    private static readonly Dictionary<int, Field> OwnerReference = new()
    {
        [1] = new("kind", Kind.String),
        [3] = new("name", Kind.String),
        [4] = new("uid", Kind.String),
        [5] = new("apiVersion", Kind.String),
        [6] = new("controller", Kind.Bool),
        [7] = new("blockOwnerDeletion", Kind.Bool),
    };

    private static readonly Dictionary<int, Field> ObjectMeta = new()
    {
        [1] = new("name", Kind.String),
        [2] = new("generateName", Kind.String),
        [3] = new("namespace", Kind.String),
        [5] = new("uid", Kind.String),
        [6] = new("resourceVersion", Kind.String),
        [7] = new("generation", Kind.Int),
        [8] = new("creationTimestamp", Kind.Time),
        [9] = new("deletionTimestamp", Kind.Time),
        [10] = new("deletionGracePeriodSeconds", Kind.Int),
        [11] = new("labels", Kind.MapString),
        [12] = new("annotations", Kind.MapString),
        [13] = new("ownerReferences", Kind.RepeatedMessage, OwnerReference),
        [14] = new("finalizers", Kind.RepeatedString),
    };

    private static readonly Dictionary<int, Field> ObjectReference = new()
    {
        [1] = new("kind", Kind.String),
        [2] = new("namespace", Kind.String),
        [3] = new("name", Kind.String),
        [4] = new("uid", Kind.String),
        [5] = new("apiVersion", Kind.String),
    };

    private static readonly Dictionary<string, Dictionary<int, Field>> Kinds = new(StringComparer.Ordinal)
    {
        ["v1/Namespace"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("spec", Kind.Message, new() { [1] = new("finalizers", Kind.RepeatedString) }),
        },
        ["v1/ConfigMap"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("data", Kind.MapString),
            [3] = new("binaryData", Kind.MapBytes),
            [4] = new("immutable", Kind.Bool),
        },
        ["v1/Secret"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("data", Kind.MapBytes),
            [3] = new("type", Kind.String),
            [4] = new("stringData", Kind.MapString),
            [5] = new("immutable", Kind.Bool),
        },
        ["v1/ServiceAccount"] = new()
        {
            [1] = new("metadata", Kind.Message, ObjectMeta),
            [2] = new("secrets", Kind.RepeatedMessage, ObjectReference),
            [3] = new("imagePullSecrets", Kind.RepeatedMessage, new() { [1] = new("name", Kind.String) }),
            [4] = new("automountServiceAccountToken", Kind.Bool),
        },
    };

    public static JsonObject Decode(byte[] body)
    {
        if (body.Length < Magic.Length || !body.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw ApiErrors.BadRequest("the protobuf body does not start with the Kubernetes magic number");
        }

        try
        {
            var envelope = new CodedInputStream(body, Magic.Length, body.Length - Magic.Length);
            string apiVersion = "", kind = "";
            ByteString raw = ByteString.Empty;
            uint tag;
            while ((tag = envelope.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1:
                        var typeMeta = new CodedInputStream(envelope.ReadBytes().ToByteArray());
                        uint t;
                        while ((t = typeMeta.ReadTag()) != 0)
                        {
                            switch (WireFormat.GetTagFieldNumber(t))
                            {
                                case 1: apiVersion = typeMeta.ReadString(); break;
                                case 2: kind = typeMeta.ReadString(); break;
                                default: typeMeta.SkipLastField(); break;
                            }
                        }

                        break;
                    case 2:
                        raw = envelope.ReadBytes();
                        break;
                    default:
                        envelope.SkipLastField();
                        break;
                }
            }

            if (!Kinds.TryGetValue($"{apiVersion}/{kind}", out Dictionary<int, Field>? schema))
            {
                throw ApiErrors.UnsupportedMediaType($"application/vnd.kubernetes.protobuf for {apiVersion}/{kind} (Navarch reads protobuf only for v1 Namespace, ConfigMap, Secret and ServiceAccount; send JSON)");
            }

            JsonObject obj = Read(new CodedInputStream(raw.ToByteArray()), schema);
            obj["apiVersion"] = apiVersion;
            obj["kind"] = kind;
            return obj;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw ApiErrors.BadRequest($"the protobuf body is malformed: {e.Message}");
        }
    }

    private static JsonObject Read(CodedInputStream input, Dictionary<int, Field> schema)
    {
        var obj = new JsonObject();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (!schema.TryGetValue(WireFormat.GetTagFieldNumber(tag), out Field? field))
            {
                input.SkipLastField();
                continue;
            }

            switch (field.Kind)
            {
                case Kind.String:
                    // Go strings have no "unset": kubectl writes every one, empty when not given. Empty means absent.
                    string text = input.ReadString();
                    if (text.Length > 0)
                    {
                        obj[field.Name] = text;
                    }

                    break;
                case Kind.Bytes:
                    obj[field.Name] = input.ReadBytes().ToBase64();
                    break;
                case Kind.Int:
                    obj[field.Name] = input.ReadInt64();
                    break;
                case Kind.Bool:
                    obj[field.Name] = input.ReadBool();
                    break;
                case Kind.Time:
                    JsonObject time = Read(new CodedInputStream(input.ReadBytes().ToByteArray()), new() { [1] = new("seconds", Kind.Int) });
                    long seconds = time["seconds"]?.GetValue<long>() ?? 0;
                    if (seconds != 0)
                    {
                        obj[field.Name] = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
                    }

                    break;
                case Kind.Message:
                    obj[field.Name] = Read(new CodedInputStream(input.ReadBytes().ToByteArray()), field.Schema!);
                    break;
                case Kind.MapString or Kind.MapBytes:
                    var entry = new CodedInputStream(input.ReadBytes().ToByteArray());
                    string key = "";
                    JsonNode? value = "";
                    uint e;
                    while ((e = entry.ReadTag()) != 0)
                    {
                        switch (WireFormat.GetTagFieldNumber(e))
                        {
                            case 1: key = entry.ReadString(); break;
                            case 2: value = field.Kind == Kind.MapString ? entry.ReadString() : entry.ReadBytes().ToBase64(); break;
                            default: entry.SkipLastField(); break;
                        }
                    }

                    var map = obj[field.Name] as JsonObject ?? [];
                    map[key] = value;
                    obj[field.Name] = map;
                    break;
                case Kind.RepeatedString:
                    var strings = obj[field.Name] as JsonArray ?? [];
                    strings.Add(input.ReadString());
                    obj[field.Name] = strings;
                    break;
                case Kind.RepeatedMessage:
                    var items = obj[field.Name] as JsonArray ?? [];
                    items.Add(Read(new CodedInputStream(input.ReadBytes().ToByteArray()), field.Schema!));
                    obj[field.Name] = items;
                    break;
            }
        }

        return obj;
    }
}
