using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Navarch.Api.ManagedFields;

/// <summary>
/// The path elements of a field set as <c>fieldsV1</c> writes them: <c>f:&lt;name&gt;</c> a field, <c>k:{json}</c> the
/// item of a list-map by its key fields (sorted by name), <c>v:&lt;json&gt;</c> the item of a set by its value,
/// <c>i:&lt;n&gt;</c> an item by index; and a path as structured-merge-diff prints it in conflict messages
/// (<c>.spec.containers[name="web"].image</c>).
/// </summary>
public static class PathElements
{
    /// <summary>A field.</summary>
    public static string Field(string name) => "f:" + name;

    /// <summary>A list-map item by its key fields.</summary>
    public static string Key(IEnumerable<KeyValuePair<string, JsonNode?>> keys)
    {
        var sorted = new JsonObject();
        foreach ((string name, JsonNode? value) in keys.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            sorted[name] = value?.DeepClone();
        }

        return "k:" + sorted.ToJsonString();
    }

    /// <summary>A set item by its value.</summary>
    public static string Value(JsonNode? value) => "v:" + (value?.ToJsonString() ?? "null");

    /// <summary>An item by index.</summary>
    public static string Index(int index) => "i:" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The path as Kubernetes prints it.</summary>
    public static string Describe(IEnumerable<string> path)
    {
        var text = new StringBuilder();
        foreach (string element in path)
        {
            string rest = element[2..];
            switch (element[0])
            {
                case 'f':
                    text.Append('.').Append(rest);
                    break;
                case 'k':
                    var keys = JsonNode.Parse(rest) as JsonObject ?? [];
                    text.Append('[').Append(string.Join(",", keys.Select(k => $"{k.Key}={Print(k.Value)}"))).Append(']');
                    break;
                case 'v':
                    text.Append("[=").Append(Print(JsonNode.Parse(rest))).Append(']');
                    break;
                default:
                    text.Append('[').Append(rest).Append(']');
                    break;
            }
        }

        return text.ToString();
    }

    private static string Print(JsonNode? value) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? JsonSerializer.Serialize(v.GetValue<string>()) : value?.ToJsonString() ?? "null";
}
