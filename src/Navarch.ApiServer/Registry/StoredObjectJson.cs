using System.Collections.Frozen;
using System.Text.Json;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Apiextensions;
using Navarch.Storage;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// An object written to a client straight from the JSON the store keeps, without decoding it into a model and a tree:
/// byte for byte what <see cref="ObjectCodec.ToResponseNode"/> makes of the decoded object. The store's value is the
/// model's own serialization, so its fields already read as the response's; what the response changes is the order
/// of the leading fields (kind, apiVersion, metadata, spec, status), <c>metadata.resourceVersion</c> (the store's
/// modRevision, kept out of the value), an absent spec or status written as <c>{}</c>, and strings the store's encoder
/// escaped as <c>\uXXXX</c> that the response's writes as they are (only those values are read token by token).
/// </summary>
internal static class StoredObjectJson
{
    private const int MaxFields = 32;

    private static readonly (string Name, byte[] Utf8)[] Leading = [.. new[] { "kind", "apiVersion", "metadata", "spec", "status" }.Select(n => (n, System.Text.Encoding.UTF8.GetBytes(n)))];

    /// <summary>ObjectMeta's JSON names in the order the model serializes them, to put resourceVersion in its place.</summary>
    private static readonly FrozenDictionary<string, int> MetadataOrder = KubernetesSerialization.Options.GetTypeInfo(typeof(V1ObjectMeta)).Properties
        .Select((property, index) => (property.Name, index)).ToFrozenDictionary(p => p.Name, p => p.index, StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> MetadataNames = MetadataOrder.GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly int ResourceVersionRank = MetadataOrder["resourceVersion"];

    /// <summary>
    /// Whether <paramref name="definition"/>'s stored objects are what it serves: no conversion between versions and no
    /// pruning or defaulting on read (a custom resource has both, and its fields are written sorted).
    /// </summary>
    public static bool Servable(ResourceDefinition definition) => definition.Converter is null && definition.ClrType != typeof(CustomResource);

    /// <summary>
    /// Writes the object <paramref name="kv"/> holds as the response does; false, having written nothing, when it has
    /// to be decoded instead (a shape this does not expect: a field name with an escape, more than 32 fields).
    /// <paramref name="definition"/> must be <see cref="Servable"/>.
    /// </summary>
    public static bool TryWrite(Utf8JsonWriter writer, ResourceDefinition definition, KeyValue kv)
    {
        ReadOnlySpan<byte> json = kv.Value;
        Span<Field> fields = stackalloc Field[MaxFields];
        Span<Field> meta = stackalloc Field[MaxFields];
        int count, metaCount, metadata;
        try
        {
            if ((count = Scan(json, fields)) < 0 || (metadata = Index(json, fields[..count], "metadata"u8)) < 0
                || (metaCount = Scan(fields[metadata].Value(json), meta)) < 0)
            {
                return false;
            }
        }
        catch (JsonException)
        {
            return false;
        }

        ReadOnlySpan<byte> metaJson = fields[metadata].Value(json);
        foreach (Field field in meta[..metaCount])
        {
            if (MetadataRank(field.Name(metaJson)) < 0)
            {
                return false;
            }
        }

        IReadOnlyList<string> valueStructs = ObjectCodec.ValueStructFields(definition.ClrType);
        writer.WriteStartObject();
        foreach ((string name, byte[] utf8) in Leading)
        {
            int index = Index(json, fields[..count], utf8);
            if (index == metadata)
            {
                writer.WritePropertyName(utf8);
                WriteMetadata(writer, metaJson, meta[..metaCount], kv.ModRevision.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            else if ((index < 0 || fields[index].Value(json).SequenceEqual("null"u8)) && valueStructs.Contains(name))
            {
                writer.WritePropertyName(utf8);
                writer.WriteStartObject();
                writer.WriteEndObject();
            }
            else if (index >= 0)
            {
                writer.WritePropertyName(utf8);
                WriteValue(writer, fields[index].Value(json));
            }
        }

        foreach (Field field in fields[..count])
        {
            if (!IsLeading(field.Name(json)))
            {
                writer.WritePropertyName(field.Name(json));
                WriteValue(writer, field.Value(json));
            }
        }

        writer.WriteEndObject();
        return true;
    }

    /// <summary>
    /// A value as the response writes it: copied, unless it holds a <c>\uXXXX</c> escape — the store's encoder escapes
    /// what the response's writes as it is (<c>"</c> in managedFields' keys, <c>&lt;</c>, <c>&amp;</c>, non-ASCII text) —
    /// then token by token, each string unescaped and written again.
    /// </summary>
    private static void WriteValue(Utf8JsonWriter writer, ReadOnlySpan<byte> value)
    {
        if (value.IndexOf("\\u"u8) < 0)
        {
            writer.WriteRawValue(value, skipInputValidation: true);
            return;
        }

        var reader = new Utf8JsonReader(value, new JsonReaderOptions { MaxDepth = KubernetesSerialization.MaxDepth });
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    writer.WriteStartObject();
                    break;
                case JsonTokenType.EndObject:
                    writer.WriteEndObject();
                    break;
                case JsonTokenType.StartArray:
                    writer.WriteStartArray();
                    break;
                case JsonTokenType.EndArray:
                    writer.WriteEndArray();
                    break;
                case JsonTokenType.PropertyName when reader.ValueIsEscaped:
                    writer.WritePropertyName(reader.GetString()!);
                    break;
                case JsonTokenType.PropertyName:
                    writer.WritePropertyName(reader.ValueSpan);
                    break;
                case JsonTokenType.String when reader.ValueIsEscaped:
                    writer.WriteStringValue(reader.GetString());
                    break;
                case JsonTokenType.String:
                    writer.WriteStringValue(reader.ValueSpan);
                    break;
                default:
                    // Numbers, true, false and null read the same in either encoder.
                    writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                    break;
            }
        }
    }

    /// <summary>Where the model writes the ObjectMeta field <paramref name="name"/>; -1 for a name it does not have.</summary>
    private static int MetadataRank(ReadOnlySpan<byte> name)
    {
        Span<char> chars = stackalloc char[64];
        return name.Length <= chars.Length && System.Text.Ascii.IsValid(name)
            && MetadataNames.TryGetValue(chars[..System.Text.Encoding.ASCII.GetChars(name, chars)], out int rank) ? rank : -1;
    }

    /// <summary>The metadata's fields in their order, resourceVersion among them where the model writes it.</summary>
    private static void WriteMetadata(Utf8JsonWriter writer, ReadOnlySpan<byte> json, ReadOnlySpan<Field> fields, string resourceVersion)
    {
        writer.WriteStartObject();
        bool versioned = false;
        foreach (Field field in fields)
        {
            ReadOnlySpan<byte> name = field.Name(json);
            if (name.SequenceEqual("resourceVersion"u8))
            {
                continue;
            }

            if (!versioned && MetadataRank(name) > ResourceVersionRank)
            {
                writer.WriteString("resourceVersion"u8, resourceVersion);
                versioned = true;
            }

            writer.WritePropertyName(name);
            WriteValue(writer, field.Value(json));
        }

        if (!versioned)
        {
            writer.WriteString("resourceVersion"u8, resourceVersion);
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// The fields of the object <paramref name="json"/> starts with, as offsets into it; -1 when it is no object, has
    /// more than <paramref name="fields"/> can hold, or a name with an escape.
    /// </summary>
    private static int Scan(ReadOnlySpan<byte> json, Span<Field> fields)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = KubernetesSerialization.MaxDepth });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return -1;
        }

        int count = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueIsEscaped || count == fields.Length)
            {
                return -1;
            }

            int nameStart = (int)reader.TokenStartIndex + 1, nameLength = reader.ValueSpan.Length;
            reader.Read();
            int valueStart = (int)reader.TokenStartIndex;
            reader.Skip();
            fields[count++] = new Field(nameStart, nameLength, valueStart, (int)reader.BytesConsumed);
        }

        return count;
    }

    private static int Index(ReadOnlySpan<byte> json, ReadOnlySpan<Field> fields, ReadOnlySpan<byte> name)
    {
        for (int i = 0; i < fields.Length; i++)
        {
            if (fields[i].Name(json).SequenceEqual(name))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsLeading(ReadOnlySpan<byte> name)
    {
        foreach ((_, byte[] utf8) in Leading)
        {
            if (name.SequenceEqual(utf8))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>One field of a scanned object: its name's and its value's places in the JSON.</summary>
    private readonly record struct Field(int NameStart, int NameLength, int ValueStart, int ValueEnd)
    {
        public ReadOnlySpan<byte> Name(ReadOnlySpan<byte> json) => json.Slice(NameStart, NameLength);

        public ReadOnlySpan<byte> Value(ReadOnlySpan<byte> json) => json[ValueStart..ValueEnd];
    }
}
