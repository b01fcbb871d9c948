using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using k8s.Models;

namespace Navarch.Api.Serialization;

/// <summary>
/// intstr.IntOrString as the client writes it (a number when the value is one, else a string), read so that any
/// other JSON (an object, a list, a boolean, a number that is no integer) is a <see cref="JsonException"/> naming the
/// field — the client's own converter throws NotSupportedException, which is no decoding error.
/// </summary>
internal sealed class IntOrStringJsonConverter : JsonConverter<IntOrString>
{
    public override IntOrString Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString() ?? "";
            case JsonTokenType.Number when reader.TryGetInt64(out long number):
                return number;
            default:
                string found = reader.TokenType switch
                {
                    JsonTokenType.StartObject => "object",
                    JsonTokenType.StartArray => "array",
                    JsonTokenType.True or JsonTokenType.False => "bool",
                    _ => "number",
                };
                reader.Skip();
                throw new JsonException($"json: cannot unmarshal {found} into Go value of type intstr.IntOrString");
        }
    }

    public override void Write(Utf8JsonWriter writer, IntOrString value, JsonSerializerOptions options)
    {
        if (long.TryParse(value.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long number))
        {
            writer.WriteNumberValue(number);
        }
        else
        {
            writer.WriteStringValue(value.Value);
        }
    }
}
