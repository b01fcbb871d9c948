using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Google.Protobuf.Reflection;

namespace Navarch.Api.Serialization;

/// <summary>
/// Writes an object's JSON straight to the protobuf wire form of its generated message, driven by the descriptors
/// (<see cref="ProtobufMessagePlan"/>) — no message objects in between. It reads a <see cref="JsonElement"/>: a
/// JsonNode tree parsed from stored JSON is lazy, and walking its nodes would build every one of them, where writing it
/// out and reading the bytes back as a document costs about what the JSON response itself does. The JSON rules are <see cref="ProtobufJson"/>'s
/// (names, Go's embedded structs, the types with a JSON form of their own); the fields go out in field number order and
/// a map's entries sorted by key, as Go's generated marshallers write them. A JSON field the message does not have is
/// a <see cref="FormatException"/>, so nothing is silently dropped.
/// </summary>
internal static class ProtobufJsonWriter
{
    private const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    private const string Meta = "k8s.io.apimachinery.pkg.apis.meta.v1.";
    private const string ApiExtensions = "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.";

    /// <summary>The contents of a message of <paramref name="descriptor"/> (no tag or length) from <paramref name="json"/>.</summary>
    public static void WriteMessage(ProtobufWireBuffer buffer, MessageDescriptor descriptor, JsonElement json)
    {
        try
        {
            WriteObject(buffer, ProtobufMessagePlan.Of(descriptor), json);
        }
        catch (InvalidOperationException e)
        {
            // A value of the wrong JSON kind (a string where a number belongs, an array for an object).
            throw new FormatException(e.Message, e);
        }
    }

    /// <summary>
    /// The contents of an API object's message (no tag or length) from the JSON the store keeps, as the server serves
    /// it: <c>metadata.resourceVersion</c> is <paramref name="resourceVersion"/> (the store keeps it out of the value),
    /// and the fields named in <paramref name="valueStructs"/> are written as empty messages when the JSON lacks them,
    /// as Go writes a struct field that is not a pointer (a Pod's spec and status).
    /// </summary>
    public static void WriteStoredObject(ProtobufWireBuffer buffer, MessageDescriptor descriptor, JsonElement json, string resourceVersion, IReadOnlyCollection<string> valueStructs)
    {
        try
        {
            ProtobufMessagePlan plan = ProtobufMessagePlan.Of(descriptor);
            JsonElement[] slots = FillSlots(plan, json);
            try
            {
                int metadata = plan.Slots.GetValueOrDefault("metadata", -1);
                foreach (ProtobufFieldPlan field in plan.Fields)
                {
                    if (field.Inline is null && field.Slot == metadata)
                    {
                        buffer.WriteTag(field.Field.FieldNumber, LengthDelimited);
                        int start = buffer.BeginLength();
                        WriteVersionedMetadata(buffer, field.Message ??= ProtobufMessagePlan.Of(field.Field.MessageType), slots[metadata], resourceVersion);
                        buffer.EndLength(start);
                    }
                    else if (field.Inline is null && slots[field.Slot].ValueKind == JsonValueKind.Undefined && field.Field.FieldType == FieldType.Message
                        && valueStructs.Any(name => plan.Slots.TryGetValue(name, out int slot) && slot == field.Slot))
                    {
                        buffer.WriteTag(field.Field.FieldNumber, LengthDelimited);
                        buffer.WriteVarint(0);
                    }
                    else
                    {
                        WriteField(buffer, field, slots);
                    }
                }
            }
            finally
            {
                ReturnSlots(slots, plan.Slots.Count);
            }
        }
        catch (InvalidOperationException e)
        {
            throw new FormatException(e.Message, e);
        }
    }

    /// <summary>An ObjectMeta from its JSON (which may be absent) with its resourceVersion replaced.</summary>
    private static void WriteVersionedMetadata(ProtobufWireBuffer buffer, ProtobufMessagePlan plan, JsonElement json, string resourceVersion)
    {
        if (json.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined))
        {
            throw new FormatException($"expected an object for {plan.Descriptor.FullName}, got {json.ValueKind}");
        }

        JsonElement[] slots = json.ValueKind == JsonValueKind.Object ? FillSlots(plan, json) : RentSlots(plan.Slots.Count);
        try
        {
            int version = plan.Slots["resourceVersion"];
            foreach (ProtobufFieldPlan field in plan.Fields)
            {
                if (field.Inline is null && field.Slot == version)
                {
                    buffer.WriteTag(field.Field.FieldNumber, LengthDelimited);
                    buffer.WriteString(resourceVersion);
                }
                else
                {
                    WriteField(buffer, field, slots);
                }
            }
        }
        finally
        {
            ReturnSlots(slots, plan.Slots.Count);
        }
    }

    private static void WriteObject(ProtobufWireBuffer buffer, ProtobufMessagePlan plan, JsonElement json)
    {
        JsonElement[] slots = FillSlots(plan, json);
        try
        {
            WriteFields(buffer, plan.Fields, slots);
        }
        finally
        {
            ReturnSlots(slots, plan.Slots.Count);
        }
    }

    /// <summary>The object's values by slot (rented: give them back with <see cref="ReturnSlots"/>); a field the message lacks is a <see cref="FormatException"/>.</summary>
    private static JsonElement[] FillSlots(ProtobufMessagePlan plan, JsonElement json)
    {
        JsonElement[] slots = RentSlots(plan.Slots.Count);
        try
        {
            Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> names = plan.Slots.GetAlternateLookup<ReadOnlySpan<char>>();
            Span<char> name = stackalloc char[128];
            foreach (JsonProperty property in json.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                ReadOnlySpan<byte> raw = JsonMarshal.GetRawUtf8PropertyName(property);
                int slot;
                bool known = raw.Length <= name.Length && raw.IndexOf((byte)'\\') < 0 && System.Text.Ascii.IsValid(raw)
                    ? names.TryGetValue(name[..Encoding.ASCII.GetChars(raw, name)], out slot)
                    : plan.Slots.TryGetValue(property.Name, out slot);
                if (known)
                {
                    slots[slot] = property.Value;
                }
                else if (!property.NameEquals("apiVersion"u8) && !property.NameEquals("kind"u8))
                {
                    throw new FormatException($"unknown field \"{property.Name}\" in {plan.Descriptor.FullName}");
                }
            }

            return slots;
        }
        catch
        {
            ReturnSlots(slots, plan.Slots.Count);
            throw;
        }
    }

    private static JsonElement[] RentSlots(int count)
    {
        JsonElement[] slots = ArrayPool<JsonElement>.Shared.Rent(count);
        Array.Clear(slots, 0, count);
        return slots;
    }

    private static void ReturnSlots(JsonElement[] slots, int count)
    {
        Array.Clear(slots, 0, count);
        ArrayPool<JsonElement>.Shared.Return(slots);
    }

    private static void WriteFields(ProtobufWireBuffer buffer, ProtobufFieldPlan[] fields, JsonElement[] slots)
    {
        foreach (ProtobufFieldPlan field in fields)
        {
            WriteField(buffer, field, slots);
        }
    }

    private static void WriteField(ProtobufWireBuffer buffer, ProtobufFieldPlan field, JsonElement[] slots)
    {
        if (field.Inline is { } inline)
        {
            // Go's embedded struct: a message when any of its fields has a value.
            if (AnyPresent(slots.AsSpan(field.InlineStart, field.InlineEnd - field.InlineStart)))
            {
                buffer.WriteTag(field.Field.FieldNumber, LengthDelimited);
                int start = buffer.BeginLength();
                WriteFields(buffer, inline, slots);
                buffer.EndLength(start);
            }

            return;
        }

        JsonElement value = slots[field.Slot];
        if (value.ValueKind == JsonValueKind.Undefined)
        {
            return;
        }

        if (field.Field.IsMap)
        {
            WriteMap(buffer, field, value);
        }
        else if (field.Field.IsRepeated)
        {
            foreach (JsonElement item in value.EnumerateArray())
            {
                WriteValue(buffer, field, item);
            }
        }
        else
        {
            WriteValue(buffer, field, value);
        }
    }

    private static bool AnyPresent(ReadOnlySpan<JsonElement> slots)
    {
        foreach (JsonElement slot in slots)
        {
            if (slot.ValueKind != JsonValueKind.Undefined)
            {
                return true;
            }
        }

        return false;
    }

    private static void WriteMap(ProtobufWireBuffer buffer, ProtobufFieldPlan field, JsonElement map)
    {
        int count = map.GetPropertyCount();
        if (count == 0)
        {
            return;
        }

        var entries = new KeyValuePair<string, JsonElement>[count];
        int i = 0;
        foreach (JsonProperty entry in map.EnumerateObject())
        {
            entries[i++] = new(entry.Name, entry.Value);
        }

        // Go's generated marshallers sort a map's keys (sort.Strings: by bytes, which ordinal order of UTF-16 matches
        // outside the surrogate range).
        if (entries.Length > 1)
        {
            Array.Sort(entries, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        }

        foreach ((string key, JsonElement value) in entries)
        {
            buffer.WriteTag(field.Field.FieldNumber, LengthDelimited);
            int start = buffer.BeginLength();
            buffer.WriteTag(1, LengthDelimited);
            buffer.WriteString(key);
            WriteValue(buffer, field.MapValue!, value);
            buffer.EndLength(start);
        }
    }

    /// <summary>One value of <paramref name="field"/> with its tag; null (a list element or map value) is the zero value.</summary>
    private static void WriteValue(ProtobufWireBuffer buffer, ProtobufFieldPlan field, JsonElement element)
    {
        JsonElement? value = element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ? null : element;
        FieldDescriptor descriptor = field.Field;
        int number = descriptor.FieldNumber;
        switch (descriptor.FieldType)
        {
            case FieldType.Message:
                buffer.WriteTag(number, LengthDelimited);
                int start = buffer.BeginLength();
                WriteMessageValue(buffer, field.Message ??= ProtobufMessagePlan.Of(descriptor.MessageType), value);
                buffer.EndLength(start);
                return;
            case FieldType.String:
                buffer.WriteTag(number, LengthDelimited);
                WriteJsonString(buffer, value);
                return;
            case FieldType.Bytes:
                buffer.WriteTag(number, LengthDelimited);
                buffer.WriteBytes(value is null ? [] : value.Value.GetBytesFromBase64());
                return;
            case FieldType.Bool:
                buffer.WriteTag(number, Varint);
                buffer.WriteVarint(value?.GetBoolean() == true ? 1UL : 0UL);
                return;
            case FieldType.Int32:
                buffer.WriteTag(number, Varint);
                buffer.WriteVarint((ulong)(long)(value?.GetInt32() ?? 0));
                return;
            case FieldType.Int64:
                buffer.WriteTag(number, Varint);
                buffer.WriteVarint((ulong)(value?.GetInt64() ?? 0));
                return;
            case FieldType.UInt32:
                buffer.WriteTag(number, Varint);
                buffer.WriteVarint(value?.GetUInt32() ?? 0);
                return;
            case FieldType.UInt64:
                buffer.WriteTag(number, Varint);
                buffer.WriteVarint(value?.GetUInt64() ?? 0);
                return;
            case FieldType.SInt32:
                buffer.WriteTag(number, Varint);
                int s32 = value?.GetInt32() ?? 0;
                buffer.WriteVarint((uint)(s32 << 1 ^ s32 >> 31));
                return;
            case FieldType.SInt64:
                buffer.WriteTag(number, Varint);
                long s64 = value?.GetInt64() ?? 0;
                buffer.WriteVarint((ulong)(s64 << 1 ^ s64 >> 63));
                return;
            case FieldType.Fixed32 or FieldType.SFixed32:
                buffer.WriteTag(number, Fixed32);
                buffer.WriteFixed32(descriptor.FieldType == FieldType.Fixed32 ? value?.GetUInt32() ?? 0 : (uint)(value?.GetInt32() ?? 0));
                return;
            case FieldType.Fixed64 or FieldType.SFixed64:
                buffer.WriteTag(number, Fixed64);
                buffer.WriteFixed64(descriptor.FieldType == FieldType.Fixed64 ? value?.GetUInt64() ?? 0 : (ulong)(value?.GetInt64() ?? 0));
                return;
            case FieldType.Float:
                buffer.WriteTag(number, Fixed32);
                buffer.WriteFixed32(BitConverter.SingleToUInt32Bits(value?.GetSingle() ?? 0));
                return;
            case FieldType.Double:
                buffer.WriteTag(number, Fixed64);
                buffer.WriteFixed64(BitConverter.DoubleToUInt64Bits(value?.GetDouble() ?? 0));
                return;
            default:
                throw new FormatException($"unsupported field type {descriptor.FieldType} of {descriptor.FullName}");
        }
    }

    /// <summary>A string field's value: the JSON's own UTF-8 when it has no escapes, so most strings are copied, not decoded.</summary>
    private static void WriteJsonString(ProtobufWireBuffer buffer, JsonElement? value)
    {
        if (value is not { } element)
        {
            buffer.WriteVarint(0);
            return;
        }

        if (element.ValueKind == JsonValueKind.String)
        {
            ReadOnlySpan<byte> raw = JsonMarshal.GetRawUtf8Value(element);
            if (raw.Length >= 2 && raw[0] == '"' && raw.IndexOf((byte)'\\') < 0)
            {
                buffer.WriteBytes(raw[1..^1]);
                return;
            }
        }

        buffer.WriteString(element.GetString()!);
    }

    /// <summary>The contents of a message from its JSON: the types with a JSON form of their own, or an object.</summary>
    private static void WriteMessageValue(ProtobufWireBuffer buffer, ProtobufMessagePlan plan, JsonElement? value)
    {
        MessageDescriptor descriptor = plan.Descriptor;
        switch (descriptor.FullName)
        {
            case Meta + "Time" or Meta + "MicroTime":
                if (value is { } time)
                {
                    long ticks = ParseTime(time.GetString()!).UtcTicks - DateTime.UnixEpoch.Ticks;
                    buffer.WriteTag(1, Varint);
                    buffer.WriteVarint((ulong)(ticks / TimeSpan.TicksPerSecond));
                    buffer.WriteTag(2, Varint);
                    buffer.WriteVarint((ulong)(long)(int)(ticks % TimeSpan.TicksPerSecond * 100));
                }

                return;
            case "k8s.io.apimachinery.pkg.api.resource.Quantity":
                buffer.WriteTag(1, LengthDelimited);
                if (value?.ValueKind == JsonValueKind.String)
                {
                    WriteJsonString(buffer, value);
                }
                else
                {
                    buffer.WriteString(value?.GetRawText() ?? "");
                }

                return;
            case "k8s.io.apimachinery.pkg.util.intstr.IntOrString":
                if (value?.ValueKind == JsonValueKind.String)
                {
                    buffer.WriteTag(1, Varint);
                    buffer.WriteVarint(1);
                    buffer.WriteTag(3, LengthDelimited);
                    WriteJsonString(buffer, value);
                }
                else
                {
                    buffer.WriteTag(1, Varint);
                    buffer.WriteVarint(0);
                    buffer.WriteTag(2, Varint);
                    buffer.WriteVarint((ulong)(long)(value?.GetInt32() ?? 0));
                }

                return;
            case "k8s.io.apimachinery.pkg.runtime.RawExtension" or Meta + "FieldsV1" or ApiExtensions + "JSON":
                // Embedded JSON, compact, as System.Text.Json writes it.
                buffer.WriteTag(1, LengthDelimited);
                WriteCompactJson(buffer, value);
                return;
            case ApiExtensions + "JSONSchemaPropsOrArray":
                if (value?.ValueKind == JsonValueKind.Array)
                {
                    WriteAll(buffer, plan, 2, value.Value);
                }
                else
                {
                    WriteOne(buffer, plan, 1, value);
                }

                return;
            case ApiExtensions + "JSONSchemaPropsOrBool":
                if (value?.ValueKind == JsonValueKind.Object)
                {
                    buffer.WriteTag(1, Varint);
                    buffer.WriteVarint(1);
                    WriteOne(buffer, plan, 2, value);
                }
                else
                {
                    buffer.WriteTag(1, Varint);
                    buffer.WriteVarint(value?.GetBoolean() == true ? 1UL : 0UL);
                }

                return;
            case ApiExtensions + "JSONSchemaPropsOrStringArray":
                if (value?.ValueKind == JsonValueKind.Array)
                {
                    WriteAll(buffer, plan, 2, value.Value);
                }
                else
                {
                    WriteOne(buffer, plan, 1, value);
                }

                return;
        }

        if (descriptor.Name is "ExtraValue")
        {
            if (value is { } items)
            {
                WriteAll(buffer, plan, 1, items);
            }

            return;
        }

        switch (value?.ValueKind)
        {
            case null:
                return;
            case JsonValueKind.Object:
                WriteObject(buffer, plan, value.Value);
                return;
            default:
                throw new FormatException($"expected an object for {descriptor.FullName}, got {value.Value.ValueKind}");
        }
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _compact;

    private static void WriteCompactJson(ProtobufWireBuffer buffer, JsonElement? value)
    {
        if (value is not { } element)
        {
            buffer.WriteBytes("null"u8);
            return;
        }

        ArrayBufferWriter<byte> compact = _compact ??= new ArrayBufferWriter<byte>(256);
        compact.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(compact))
        {
            element.WriteTo(writer);
        }

        buffer.WriteBytes(compact.WrittenSpan);
    }

    private static void WriteOne(ProtobufWireBuffer buffer, ProtobufMessagePlan plan, int number, JsonElement? value) =>
        WriteValue(buffer, FieldNumbered(plan, number), value ?? default);

    private static void WriteAll(ProtobufWireBuffer buffer, ProtobufMessagePlan plan, int number, JsonElement values)
    {
        ProtobufFieldPlan field = FieldNumbered(plan, number);
        foreach (JsonElement item in values.EnumerateArray())
        {
            WriteValue(buffer, field, item);
        }
    }

    private static ProtobufFieldPlan FieldNumbered(ProtobufMessagePlan plan, int number) =>
        Array.Find(plan.Fields, f => f.Field.FieldNumber == number) ?? throw new FormatException($"{plan.Descriptor.FullName} has no field {number}");

    /// <summary>
    /// An RFC 3339 time: Kubernetes' two forms (seconds, and MicroTime's microseconds, in UTC) read directly, any other
    /// as <see cref="DateTimeOffset.Parse(string, IFormatProvider?, DateTimeStyles)"/> reads it.
    /// </summary>
    private static DateTimeOffset ParseTime(string text)
    {
        if ((text.Length == 20 || (text.Length == 27 && text[19] == '.')) && text[^1] == 'Z' && text[4] == '-' && text[7] == '-'
            && text[10] == 'T' && text[13] == ':' && text[16] == ':'
            && Digits(text, 0, 4, out int year) && Digits(text, 5, 2, out int month) && Digits(text, 8, 2, out int day)
            && Digits(text, 11, 2, out int hour) && Digits(text, 14, 2, out int minute) && Digits(text, 17, 2, out int second)
            && (text.Length == 20 ? 0 : Digits(text, 20, 6, out int micros) ? micros : -1) is var fraction and >= 0
            && year > 0 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month)
            && hour < 24 && minute < 60 && second < 60)
        {
            return new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero).AddTicks(fraction * 10L);
        }

        return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
    }

    private static bool Digits(string text, int start, int length, out int value)
    {
        value = 0;
        for (int i = start; i < start + length; i++)
        {
            int digit = text[i] - '0';
            if (digit is < 0 or > 9)
            {
                return false;
            }

            value = value * 10 + digit;
        }

        return true;
    }
}
