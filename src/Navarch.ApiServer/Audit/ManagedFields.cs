using System.Text.Json.Nodes;

namespace Navarch.ApiServer.Audit;

/// <summary>
/// <c>omitManagedFields</c>: recorded objects without <c>metadata.managedFields</c> — of an object, of a list's
/// items, or of a Table's row objects — copied, never changing what is served.
/// </summary>
internal static class ManagedFields
{
    public static bool Has(JsonNode node) => Objects(node).Any(o => o["metadata"] is JsonObject m && m.ContainsKey("managedFields"));

    public static JsonNode Without(JsonNode node)
    {
        if (!Has(node))
        {
            return node;
        }

        JsonNode copy = node.DeepClone();
        foreach (JsonObject o in Objects(copy))
        {
            (o["metadata"] as JsonObject)?.Remove("managedFields");
        }

        return copy;
    }

    private static IEnumerable<JsonObject> Objects(JsonNode node)
    {
        if (node is not JsonObject root)
        {
            yield break;
        }

        yield return root;
        foreach (JsonNode? item in root["items"] as JsonArray ?? [])
        {
            if (item is JsonObject o)
            {
                yield return o;
            }
        }

        foreach (JsonNode? row in root["rows"] as JsonArray ?? [])
        {
            if (row?["object"] is JsonObject o)
            {
                yield return o;
            }
        }
    }
}
