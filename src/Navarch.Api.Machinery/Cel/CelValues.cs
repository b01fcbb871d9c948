using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Navarch.Api.Cel;

/// <summary>Converts between JSON values and the CLR values the package evaluates (int as long, double, string, bool, null, list, map).</summary>
internal static class CelValues
{
    public static object? FromJson(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                var map = new CelMap(obj.Count);
                foreach (var (key, value) in obj)
                {
                    map[key] = FromJson(value);
                }

                return map;
            case JsonArray array:
                var items = new object?[array.Count];
                for (int i = 0; i < items.Length; i++)
                {
                    items[i] = FromJson(array[i]);
                }

                return new CelList(items);
            default:
                var scalar = node.AsValue();
                return scalar.GetValueKind() switch
                {
                    JsonValueKind.String => scalar.GetValue<string>(),
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.Number => Number(scalar.ToJsonString()),
                    _ => null,
                };
        }
    }

    // JSON has one number type; CEL tells int from double as Kubernetes does: a number without fraction or exponent
    // that fits in int64 is an int.
    private static object Number(string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)
            ? (object)l
            : (object)double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    public static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        JsonNode node => node.DeepClone(),
        bool b => JsonValue.Create(b),
        string s => JsonValue.Create(s),
        int i => JsonValue.Create((long)i),
        long l => JsonValue.Create(l),
        uint u => JsonValue.Create((long)u),
        ulong ul => JsonValue.Create(ul),
        short sh => JsonValue.Create((long)sh),
        byte by => JsonValue.Create((long)by),
        double d => JsonValue.Create(d),
        float f => JsonValue.Create((double)f),
        decimal m => JsonValue.Create(m),
        byte[] bytes => JsonValue.Create(Convert.ToBase64String(bytes)),
        ByteString bs => JsonValue.Create(bs.ToBase64()),
        DateTimeOffset dto => JsonValue.Create(dto.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture)),
        DateTime dt => JsonValue.Create(dt.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture)),
        Timestamp ts => ToJson(ts.ToDateTimeOffset()),
        Duration du => JsonValue.Create(du.ToTimeSpan().TotalSeconds.ToString(CultureInfo.InvariantCulture) + "s"),
        TimeSpan span => JsonValue.Create(span.TotalSeconds.ToString(CultureInfo.InvariantCulture) + "s"),
        IDictionary dict => MapToJson(dict),
        IEnumerable list => ListToJson(list),
        _ => JsonValue.Create(value.ToString()),
    };

    private static JsonObject MapToJson(IDictionary dict)
    {
        var obj = new JsonObject();
        foreach (DictionaryEntry entry in dict)
        {
            obj[Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? ""] = ToJson(entry.Value);
        }

        return obj;
    }

    private static JsonArray ListToJson(IEnumerable list)
    {
        var array = new JsonArray();
        foreach (object? item in list)
        {
            array.Add(ToJson(item));
        }

        return array;
    }
}
