using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf.Reflection;

namespace Navarch.Api.Serialization;

/// <summary>
/// A list (a PodList, ...) in Kubernetes' protobuf (<see cref="KubernetesProtobuf"/>), written one item at a time:
/// an item the store keeps as JSON goes straight from those bytes to its message (one pass over them, no tree), an
/// item that had to be rewritten from its JSON object. Every method but <see cref="Complete"/> and
/// <see cref="Dispose"/> throws <see cref="FormatException"/> for a kind without a message or a field its message
/// lacks; the caller then answers in JSON.
/// </summary>
public sealed class ProtobufListWriter : IDisposable
{
    private const int LengthDelimited = 2;

    private readonly ProtobufWireBuffer _buffer = new(64 * 1024);
    private readonly FieldDescriptor _items;
    private readonly MessageDescriptor _item;
    private readonly int _raw;

    /// <summary>Starts the list <paramref name="apiVersion"/> <paramref name="kind"/> with its ListMeta.</summary>
    public ProtobufListWriter(string apiVersion, string kind, JsonObject metadata)
    {
        _raw = KubernetesProtobuf.BeginEnvelope(_buffer, apiVersion, kind, out MessageDescriptor list);
        FieldDescriptor meta = list.FindFieldByName("metadata") ?? throw new FormatException($"{list.FullName} has no metadata");
        _items = list.FindFieldByName("items") ?? throw new FormatException($"{list.FullName} has no items");
        _item = _items.MessageType;
        _buffer.WriteTag(meta.FieldNumber, LengthDelimited);
        int start = _buffer.BeginLength();
        using (JsonDocument document = KubernetesProtobuf.Document(metadata))
        {
            ProtobufJsonWriter.WriteMessage(_buffer, meta.MessageType, document.RootElement);
        }

        _buffer.EndLength(start);
    }

    /// <summary>
    /// An item from the JSON the store keeps (<see cref="ProtobufJsonWriter.WriteStoredObject"/>): its resourceVersion
    /// set, the <paramref name="valueStructs"/> written even when absent.
    /// </summary>
    public void WriteStoredItem(ReadOnlyMemory<byte> json, string resourceVersion, IReadOnlyCollection<string> valueStructs)
    {
        _buffer.WriteTag(_items.FieldNumber, LengthDelimited);
        int start = _buffer.BeginLength();
        try
        {
            using JsonDocument document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = KubernetesSerialization.MaxDepth });
            ProtobufJsonWriter.WriteStoredObject(_buffer, _item, document.RootElement, resourceVersion, valueStructs);
        }
        catch (JsonException e)
        {
            throw new FormatException($"a stored {_item.Name} is not JSON: {e.Message}", e);
        }

        _buffer.EndLength(start);
    }

    /// <summary>An item as the JSON object the server would answer with.</summary>
    public void WriteItem(JsonObject item)
    {
        _buffer.WriteTag(_items.FieldNumber, LengthDelimited);
        int start = _buffer.BeginLength();
        using (JsonDocument document = KubernetesProtobuf.Document(item))
        {
            ProtobufJsonWriter.WriteMessage(_buffer, _item, document.RootElement);
        }

        _buffer.EndLength(start);
    }

    /// <summary>The whole enveloped list; write nothing after.</summary>
    public ReadOnlyMemory<byte> Complete()
    {
        KubernetesProtobuf.EndEnvelope(_buffer, _raw);
        return _buffer.Written;
    }

    /// <inheritdoc />
    public void Dispose() => _buffer.Dispose();
}
