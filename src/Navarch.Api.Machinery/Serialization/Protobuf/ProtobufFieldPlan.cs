using Google.Protobuf.Reflection;

namespace Navarch.Api.Serialization;

/// <summary>
/// One field of a <see cref="ProtobufMessagePlan"/>: where its JSON value waits (<see cref="Slot"/>), or, for a Go
/// embedded struct (<see cref="Inline"/>), the fields of the embedded message, whose JSON values sit in the parent object.
/// </summary>
internal sealed class ProtobufFieldPlan
{
    public ProtobufFieldPlan(FieldDescriptor field, int slot)
    {
        Field = field;
        Slot = slot;
        if (field.IsMap)
        {
            MapValue = new ProtobufFieldPlan(field.MessageType.FindFieldByNumber(2), -1);
        }
    }

    /// <summary>The field.</summary>
    public FieldDescriptor Field { get; }

    /// <summary>The index of its JSON value in the object's slots; -1 for an inline field or a map's value.</summary>
    public int Slot { get; }

    /// <summary>For a map, its entries' value field.</summary>
    public ProtobufFieldPlan? MapValue { get; }

    /// <summary>For a Go embedded struct, the embedded message's fields in field number order.</summary>
    public ProtobufFieldPlan[]? Inline { get; init; }

    /// <summary>For a Go embedded struct, the slots its fields (and theirs) use: [InlineStart, InlineEnd).</summary>
    public int InlineStart { get; init; }

    /// <summary>See <see cref="InlineStart"/>.</summary>
    public int InlineEnd { get; init; }

    /// <summary>The plan of the field's message type, looked up on first use (the types are recursive).</summary>
    public ProtobufMessagePlan? Message { get; set; }
}
