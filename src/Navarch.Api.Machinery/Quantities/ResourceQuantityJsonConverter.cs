using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using k8s.Models;

namespace Navarch.Api.Quantities;

/// <summary>
/// Reads and writes the client's <see cref="ResourceQuantity"/> through <see cref="Quantity"/>, so that no text ever
/// reaches the client's unbounded parser: a string or a number (Quantity.UnmarshalJSON takes both, and null as zero),
/// parsed with Kubernetes' grammar; a malformed one is a <see cref="JsonException"/> with Kubernetes' message. A
/// decimal value beyond 2^63-1 is refused for a request (<c>capOutOfRange</c> false) and capped when reading what is
/// already stored, so an old object can still be read and deleted.
/// </summary>
public sealed class ResourceQuantityJsonConverter(bool capOutOfRange) : JsonConverter<ResourceQuantity>
{
    /// <inheritdoc />
    public override bool HandleNull => true;

    /// <inheritdoc />
    public override ResourceQuantity Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        string text;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return Quantity.Zero.ToResourceQuantity();
            case JsonTokenType.String:
                text = reader.GetString() ?? "";
                break;
            case JsonTokenType.Number:
                text = reader.HasValueSequence ? Encoding.UTF8.GetString(System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence)) : Encoding.UTF8.GetString(reader.ValueSpan);
                break;
            default:
                reader.Skip();
                throw new JsonException(Quantity.Describe(QuantityError.FormatWrong), new QuantityFormatException(QuantityError.FormatWrong));
        }

        if (!Quantity.TryParse(text.Trim(), capOutOfRange, out Quantity quantity, out QuantityError error))
        {
            throw new JsonException(Quantity.Describe(error), new QuantityFormatException(error));
        }

        return quantity.ToResourceQuantity();
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, ResourceQuantity value, JsonSerializerOptions options) =>
        writer.WriteStringValue(ResourceQuantities.Text(value));
}
