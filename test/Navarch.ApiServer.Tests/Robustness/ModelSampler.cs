using System.Collections;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s.Models;

namespace Navarch.ApiServer.Tests.Robustness;

/// <summary>
/// A JSON object of a model type with every field set (to depth <see cref="MaxDepth"/>), by reflection over the
/// client's model types: strings, numbers, booleans, one-item lists and maps, quantities and int-or-strings. It need
/// not be valid; it gives the mutator a path to every field of every built-in kind.
/// </summary>
internal static class ModelSampler
{
    private const int MaxDepth = 6;

    public static JsonObject Sample(Type type, string apiVersion, string kind, string name)
    {
        var obj = (JsonObject)(Value(type, 0) ?? new JsonObject());
        obj["apiVersion"] = apiVersion;
        obj["kind"] = kind;
        obj["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["app"] = "fuzz" } };
        return obj;
    }

    private static JsonNode? Value(Type type, int depth)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return "x";
        }

        if (type == typeof(bool))
        {
            return true;
        }

        if (type == typeof(int) || type == typeof(long) || type == typeof(double) || type == typeof(float))
        {
            return 1;
        }

        if (type == typeof(DateTime) || type == typeof(DateTimeOffset))
        {
            return "2026-01-01T00:00:00Z";
        }

        if (type == typeof(ResourceQuantity))
        {
            return "100m";
        }

        if (type == typeof(IntOrString))
        {
            return 80;
        }

        if (type == typeof(byte[]))
        {
            return "eA==";
        }

        if (depth >= MaxDepth || type == typeof(object) || type.IsEnum)
        {
            return type.IsEnum ? Enum.GetNames(type).FirstOrDefault() : null;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() is { } definition)
        {
            Type[] arguments = type.GetGenericArguments();
            if (definition == typeof(IDictionary<,>) || definition == typeof(Dictionary<,>))
            {
                return new JsonObject { ["k"] = Value(arguments[1], depth + 1) };
            }

            if (typeof(IEnumerable).IsAssignableFrom(type))
            {
                return new JsonArray(Value(arguments[0], depth + 1));
            }
        }

        if (!type.IsClass || type.Namespace != typeof(V1Pod).Namespace)
        {
            return null;
        }

        var obj = new JsonObject();
        foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            string? name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name;
            if (name is null or "apiVersion" or "kind" or "metadata" or "status")
            {
                continue;
            }

            if (Value(property.PropertyType, depth + 1) is { } value)
            {
                obj[name] = value;
            }
        }

        return obj;
    }
}
