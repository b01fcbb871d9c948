using System.Collections.Concurrent;
using Google.Protobuf.Reflection;

namespace Navarch.Api.Serialization;

/// <summary>
/// How a JSON object becomes a message of <see cref="Descriptor"/>: each JSON name's slot, and the fields in field
/// number order (the order Go's generated marshallers write them), Go's embedded structs expanded in place.
/// </summary>
internal sealed class ProtobufMessagePlan
{
    private static readonly ConcurrentDictionary<MessageDescriptor, ProtobufMessagePlan> Plans = new();

    private ProtobufMessagePlan(MessageDescriptor descriptor)
    {
        Descriptor = descriptor;
        var slots = new Dictionary<string, int>(StringComparer.Ordinal);
        Fields = Collect(descriptor, slots);
        Slots = slots;
    }

    /// <summary>The message.</summary>
    public MessageDescriptor Descriptor { get; }

    /// <summary>The slot of each JSON name.</summary>
    public Dictionary<string, int> Slots { get; }

    /// <summary>The fields in field number order.</summary>
    public ProtobufFieldPlan[] Fields { get; }

    /// <summary>The plan of <paramref name="descriptor"/>.</summary>
    public static ProtobufMessagePlan Of(MessageDescriptor descriptor) =>
        Plans.TryGetValue(descriptor, out ProtobufMessagePlan? plan) ? plan : Plans.GetOrAdd(descriptor, static d => new ProtobufMessagePlan(d));

    private static ProtobufFieldPlan[] Collect(MessageDescriptor descriptor, Dictionary<string, int> slots)
    {
        var fields = new List<ProtobufFieldPlan>();
        foreach (FieldDescriptor field in descriptor.Fields.InFieldNumberOrder())
        {
            if (ProtobufJson.IsInline(field))
            {
                int start = slots.Count;
                ProtobufFieldPlan[] inline = Collect(field.MessageType, slots);
                fields.Add(new ProtobufFieldPlan(field, -1) { Inline = inline, InlineStart = start, InlineEnd = slots.Count });
            }
            else
            {
                // A name the parent (or an earlier embedded struct) already has keeps its first field, as Go's
                // encoding/json does for the shallower one; the later one gets a slot no JSON name reaches.
                string name = ProtobufJson.JsonName(descriptor, field);
                int slot = slots.Count;
                slots.TryAdd(name, slot);
                if (slots[name] != slot)
                {
                    slots.Add("\0" + field.FullName, slot);
                }

                fields.Add(new ProtobufFieldPlan(field, slot));
            }
        }

        return [.. fields];
    }
}
