using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Navarch.Api.Apiextensions;

/// <summary>Field paths and printed values as Kubernetes' <c>field.Path</c> and kube-openapi write them.</summary>
internal static class SchemaPaths
{
    public static string Child(string path, string name) => path.Length == 0 ? name : path + "." + name;

    public static string Index(string path, int index) => path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

    public static string Key(string path, string key) => path + "[" + key + "]";

    /// <summary>The value a field error carries: scalars as themselves, objects and lists as their JSON.</summary>
    public static object? BadValue(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => Number(v),
        _ => node.ToJsonString(),
    };

    public static object Number(JsonNode v)
    {
        string text = v.ToJsonString();
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)
            ? l
            : double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>A bound as Go's <c>%v</c> prints a float64 (10, 1.5).</summary>
    public static string Bound(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The JSON type kube-openapi names for a value: object, array, string, integer, number, boolean, null.</summary>
    public static string JsonType(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => Number(node) is long ? "integer" : IsIntegral(node) ? "integer" : "number",
            _ => "null",
        },
    };

    private static bool IsIntegral(JsonNode node) => Number(node) is double d && Math.Floor(d) == d && !double.IsInfinity(d);
}
