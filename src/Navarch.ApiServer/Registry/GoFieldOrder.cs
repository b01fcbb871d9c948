using System.Text.Json.Nodes;
using Navarch.Api;
using Navarch.Api.Apiextensions;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// The order kube-apiserver writes an object's fields in. A built-in kind is a Go struct: TypeMeta is embedded first
/// (<c>kind</c> before <c>apiVersion</c>), ObjectMeta next, then spec and status. A custom resource is an
/// <c>unstructured.Unstructured</c>, a <c>map[string]interface{}</c> that Go's encoder writes with its keys sorted, at
/// every level (so <c>apiVersion, kind, metadata, spec, status</c>).
/// </summary>
internal static class GoFieldOrder
{
    private static readonly string[] TypedLeading = ["kind", "apiVersion", "metadata", "spec", "status"];

    /// <summary><paramref name="node"/> with kind, apiVersion, metadata, spec and status first, its other fields after in their order.</summary>
    public static JsonObject Typed(JsonObject node)
    {
        List<KeyValuePair<string, JsonNode?>> fields = [.. node];
        node.Clear();
        foreach (string name in TypedLeading)
        {
            foreach (KeyValuePair<string, JsonNode?> field in fields.Where(f => f.Key == name))
            {
                node[field.Key] = field.Value;
            }
        }

        foreach (KeyValuePair<string, JsonNode?> field in fields.Where(f => Array.IndexOf(TypedLeading, f.Key) < 0))
        {
            node[field.Key] = field.Value;
        }

        return node;
    }

    /// <summary><paramref name="node"/> with the keys of it and of every object inside it sorted as Go sorts a map's keys (by bytes).</summary>
    public static JsonNode? Sorted(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                List<KeyValuePair<string, JsonNode?>> fields = [.. obj];
                obj.Clear();
                foreach (KeyValuePair<string, JsonNode?> field in fields.OrderBy(f => f.Key, StringComparer.Ordinal))
                {
                    obj[field.Key] = Sorted(field.Value);
                }

                return obj;
            case JsonArray array:
                foreach (JsonNode? item in array)
                {
                    Sorted(item);
                }

                return array;
            default:
                return node;
        }
    }

    /// <summary>
    /// A list as kube-apiserver writes it: a built-in kind's as its Go struct (kind, apiVersion, metadata, items); a custom
    /// resource's as an <c>UnstructuredList</c>, whose map Go writes with sorted keys (apiVersion, items, kind, metadata).
    /// </summary>
    public static JsonObject List(ResourceDefinition definition, JsonObject list)
    {
        if (definition.ClrType != typeof(CustomResource))
        {
            return list;
        }

        List<KeyValuePair<string, JsonNode?>> fields = [.. list];
        list.Clear();
        foreach (KeyValuePair<string, JsonNode?> field in fields.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            list[field.Key] = field.Value;
        }

        return list;
    }
}
