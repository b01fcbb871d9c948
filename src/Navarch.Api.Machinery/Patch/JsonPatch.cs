using System.Globalization;
using System.Text.Json.Nodes;

namespace Navarch.Api.Patch;

/// <summary>RFC 6902 JSON patch (add, remove, replace, move, copy, test) over a <see cref="JsonNode"/> document.</summary>
public static class JsonPatch
{
    /// <summary>kube-apiserver's maxJSONPatchOperations.</summary>
    public const int MaxOperations = 10000;

    /// <summary>Applies the operations in order; a malformed patch is 400, an operation that cannot apply is 422.</summary>
    public static JsonNode? Apply(JsonNode? document, JsonNode? patch)
    {
        if (patch is not JsonArray operations)
        {
            throw ApiErrors.BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
        }

        if (operations.Count > MaxOperations)
        {
            throw ApiErrors.TooLarge($"The allowed maximum operations in a JSON patch is {MaxOperations}, got {operations.Count}");
        }

        JsonNode? root = document;
        foreach (JsonNode? item in operations)
        {
            if (item is not JsonObject op || op["op"]?.GetValue<string>() is not { } name || op["path"]?.GetValue<string>() is not { } path)
            {
                throw ApiErrors.BadRequest("the server rejected our request due to an error in our request: each operation needs \"op\" and \"path\"");
            }

            switch (name)
            {
                case "add":
                    root = Add(root, path, Required(op, "value"));
                    break;
                case "remove":
                    Remove(root, path);
                    break;
                case "replace":
                    Remove(root, path);
                    root = Add(root, path, Required(op, "value"));
                    break;
                case "move":
                {
                    string from = From(op);
                    JsonNode? value = Get(root, from)?.DeepClone();
                    Remove(root, from);
                    root = Add(root, path, value);
                    break;
                }

                case "copy":
                    root = Add(root, path, Get(root, From(op))?.DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(root, path), op["value"]))
                    {
                        throw Unprocessable($"testing value {path} failed");
                    }

                    break;
                default:
                    throw ApiErrors.BadRequest($"Unexpected kind: {name}");
            }
        }

        return root;
    }

    private static JsonNode? Required(JsonObject op, string field) =>
        op.TryGetPropertyValue(field, out JsonNode? value) ? value?.DeepClone() : throw ApiErrors.BadRequest($"missing value for operation {op["op"]}");

    private static string From(JsonObject op) => op["from"]?.GetValue<string>() ?? throw ApiErrors.BadRequest("missing from for operation");

    private static StatusException Unprocessable(string message)
    {
        StatusException e = ApiErrors.Invalid("", "", "", []);
        e.Status.Message = message;
        e.Status.Details = new k8s.Models.V1StatusDetails();
        return e;
    }

    private static string[] Tokens(string path)
    {
        if (path.Length == 0)
        {
            return [];
        }

        if (!path.StartsWith('/'))
        {
            throw ApiErrors.BadRequest($"invalid JSON pointer: {path}");
        }

        return path[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
    }

    private static JsonNode? Get(JsonNode? root, string path)
    {
        JsonNode? node = root;
        foreach (string token in Tokens(path))
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(token, out JsonNode? child) => child,
                JsonArray a when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int i) && i < a.Count => a[i],
                _ => throw Unprocessable($"doc is missing path: \"{path}\": missing value"),
            };
        }

        return node;
    }

    private static (JsonNode Parent, string Last) Parent(JsonNode? root, string path)
    {
        string[] tokens = Tokens(path);
        if (tokens.Length == 0)
        {
            throw Unprocessable("cannot operate on the document root");
        }

        string parentPath = "/" + string.Join('/', tokens[..^1].Select(t => t.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)));
        JsonNode? parent = tokens.Length == 1 ? root : Get(root, parentPath);
        return (parent ?? throw Unprocessable($"doc is missing path: \"{path}\": missing value"), tokens[^1]);
    }

    private static JsonNode? Add(JsonNode? root, string path, JsonNode? value)
    {
        if (path.Length == 0)
        {
            return value;
        }

        (JsonNode parent, string last) = Parent(root, path);
        switch (parent)
        {
            case JsonObject o:
                o.Remove(last);
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out int i) && i <= a.Count:
                a.Insert(i, value);
                break;
            default:
                throw Unprocessable($"doc is missing path: \"{path}\": missing value");
        }

        return root;
    }

    private static void Remove(JsonNode? root, string path)
    {
        (JsonNode parent, string last) = Parent(root, path);
        bool removed = parent switch
        {
            JsonObject o => o.Remove(last),
            JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out int i) && i < a.Count => RemoveAt(a, i),
            _ => false,
        };
        if (!removed)
        {
            throw Unprocessable($"doc is missing path: \"{path}\": missing value");
        }
    }

    private static bool RemoveAt(JsonArray a, int i)
    {
        a.RemoveAt(i);
        return true;
    }
}
