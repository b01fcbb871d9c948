using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Navarch.Api.Protobuf.K8s.Apimachinery.Pkg.Runtime;

namespace Navarch.Api.Serialization;

/// <summary>
/// Kubernetes' protobuf encoding (<c>application/vnd.kubernetes.protobuf</c>, apimachinery's
/// runtime/serializer/protobuf): the 4 bytes "k8s\0", then a runtime.Unknown whose typeMeta names the apiVersion and
/// kind and whose raw holds the object's generated message. Objects are converted to and from Kubernetes' JSON, so the
/// rest of the server sees one shape whatever the encoding.
/// </summary>
public static class KubernetesProtobuf
{
    /// <summary>The media type.</summary>
    public const string MediaType = "application/vnd.kubernetes.protobuf";

    /// <summary>The media type of a watch stream: length-prefixed WatchEvent frames.</summary>
    public const string WatchMediaType = "application/vnd.kubernetes.protobuf;stream=watch";

    private const int LengthDelimited = 2;

    private static ReadOnlySpan<byte> Magic => "k8s\0"u8;

    /// <summary>True when <paramref name="apiVersion"/> <paramref name="kind"/> has a protobuf message (the built-in kinds; not custom resources).</summary>
    public static bool Supports(string apiVersion, string kind) => ProtobufMessages.Find(apiVersion, kind) is not null;

    /// <summary>True when <paramref name="data"/> starts with the envelope's magic.</summary>
    public static bool IsEnveloped(ReadOnlySpan<byte> data) => data.StartsWith(Magic);

    /// <summary>
    /// An object (with its apiVersion and kind) as enveloped protobuf, written straight from its JSON
    /// (<see cref="ProtobufJsonWriter"/>). Throws <see cref="FormatException"/> for a kind without a message or a
    /// field its message does not have.
    /// </summary>
    public static byte[] Encode(JsonObject obj)
    {
        using var buffer = new ProtobufWireBuffer(4096);
        WriteEnveloped(buffer, obj);
        return buffer.ToArray();
    }

    /// <summary>
    /// One frame of a protobuf watch (<see cref="WatchMediaType"/>): a 4-byte big-endian length, then a
    /// metav1.WatchEvent (not enveloped) whose object holds the enveloped object, as client-go's watch decoder reads it.
    /// </summary>
    public static byte[] EncodeWatchEvent(string type, JsonObject obj)
    {
        using var buffer = new ProtobufWireBuffer(4096);
        buffer.WriteRaw([0, 0, 0, 0]);
        // metav1.WatchEvent: type (1), object (2) a runtime.RawExtension whose raw (1) is the enveloped object.
        buffer.WriteTag(1, LengthDelimited);
        buffer.WriteString(type);
        buffer.WriteTag(2, LengthDelimited);
        int rawExtension = buffer.BeginLength();
        buffer.WriteTag(1, LengthDelimited);
        int raw = buffer.BeginLength();
        WriteEnveloped(buffer, obj);
        buffer.EndLength(raw);
        buffer.EndLength(rawExtension);
        byte[] frame = buffer.ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
        return frame;
    }

    private static void WriteEnveloped(ProtobufWireBuffer buffer, JsonObject obj)
    {
        string apiVersion = obj["apiVersion"]?.GetValue<string>() ?? "";
        string kind = obj["kind"]?.GetValue<string>() ?? "";
        int raw = BeginEnvelope(buffer, apiVersion, kind, out MessageDescriptor descriptor);
        // The object's JSON bytes, read back as a document (see ProtobufJsonWriter for why not the nodes).
        using (JsonDocument document = Document(obj))
        {
            ProtobufJsonWriter.WriteMessage(buffer, descriptor, document.RootElement);
        }

        EndEnvelope(buffer, raw);
    }

    /// <summary>
    /// The magic, then the start of a runtime.Unknown: its typeMeta (1) and the start of raw (2), which the message of
    /// <paramref name="descriptor"/> goes into; <see cref="EndEnvelope"/> with the position returned ends it.
    /// </summary>
    internal static int BeginEnvelope(ProtobufWireBuffer buffer, string apiVersion, string kind, out MessageDescriptor descriptor)
    {
        descriptor = ProtobufMessages.Find(apiVersion, kind) ?? throw new FormatException($"no protobuf message for {apiVersion} {kind}");
        buffer.WriteRaw(Magic);
        buffer.WriteTag(1, LengthDelimited);
        int typeMeta = buffer.BeginLength();
        buffer.WriteTag(1, LengthDelimited);
        buffer.WriteString(apiVersion);
        buffer.WriteTag(2, LengthDelimited);
        buffer.WriteString(kind);
        buffer.EndLength(typeMeta);
        buffer.WriteTag(2, LengthDelimited);
        return buffer.BeginLength();
    }

    /// <summary>Ends raw, then contentEncoding (3) and contentType (4), empty as Go writes them.</summary>
    internal static void EndEnvelope(ProtobufWireBuffer buffer, int raw)
    {
        buffer.EndLength(raw);
        buffer.WriteTag(3, LengthDelimited);
        buffer.WriteVarint(0);
        buffer.WriteTag(4, LengthDelimited);
        buffer.WriteVarint(0);
    }

    /// <summary><paramref name="node"/>'s JSON as a document.</summary>
    internal static JsonDocument Document(JsonNode node)
    {
        var json = new System.Buffers.ArrayBufferWriter<byte>(16 * 1024);
        using (var writer = new Utf8JsonWriter(json))
        {
            node.WriteTo(writer);
        }

        return JsonDocument.Parse(json.WrittenMemory);
    }

    /// <summary>
    /// Enveloped protobuf as the object's JSON, apiVersion and kind first. <paramref name="goZeros"/>: the bytes came
    /// from a client (Go writes every value field, so an empty string there means unset). Throws
    /// <see cref="FormatException"/> when the data is not an envelope or names a kind without a message.
    /// </summary>
    public static JsonObject Decode(ReadOnlySpan<byte> data, bool goZeros)
    {
        if (!IsEnveloped(data))
        {
            throw new FormatException("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]");
        }

        Unknown unknown;
        try
        {
            unknown = Unknown.Parser.ParseFrom(data[Magic.Length..]);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new FormatException(e.Message, e);
        }

        string apiVersion = unknown.TypeMeta?.ApiVersion ?? "";
        string kind = unknown.TypeMeta?.Kind ?? "";
        MessageDescriptor descriptor = ProtobufMessages.Find(apiVersion, kind)
            ?? throw new FormatException($"no kind \"{kind}\" is registered for version \"{apiVersion}\"");
        IMessage message;
        try
        {
            message = descriptor.Parser.ParseFrom(unknown.Raw);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new FormatException(e.Message, e);
        }

        return ProtobufJson.ToJson(message, goZeros, new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind });
    }
}
