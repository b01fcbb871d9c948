using System.Text.Json;
using System.Text.Json.Nodes;
using Navarch.Api;
using Navarch.Api.Apiextensions;

namespace Navarch.ApiServer.OpenApi;

/// <summary>
/// The OpenAPI schema of a custom resource's version, from its CRD's <c>openAPIV3Schema</c> (apiextensions-apiserver's
/// builder): named by the reversed group (<c>com.example.stable.v1.CronTab</c>), with apiVersion, kind and a
/// reference to ObjectMeta added; Swagger 2.0 gets it without what 2.0 cannot say (nullable, anyOf and the like).
/// </summary>
internal static class CustomResourceSchemas
{
    private static readonly string[] NotInSwagger2 = ["nullable", "anyOf", "oneOf", "allOf", "not", "x-kubernetes-validations"];

    /// <summary>The component name of the kind (or, with "List", of its list).</summary>
    public static string Name(ResourceDefinition definition, string suffix = "") =>
        $"{string.Join('.', definition.Group.Split('.').Reverse())}.{definition.Version}.{definition.Kind}{suffix}";

    /// <summary>The object's schema; <paramref name="objectMetaRef"/> is the reference to ObjectMeta.</summary>
    public static JsonObject Object(ResourceDefinition definition, CustomResourceStrategy strategy, JsonObject objectMetaRef, bool swagger2)
    {
        JsonObject schema = strategy.Schema.Source is { } source
            ? (JsonObject)JsonSerializer.SerializeToNode(source, KubernetesSerialization.Options)!
            : new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
        if (swagger2)
        {
            Strip(schema);
        }

        schema["type"] = "object";
        var properties = schema["properties"] as JsonObject ?? [];
        schema["properties"] = properties;
        properties["apiVersion"] = new JsonObject { ["type"] = "string", ["description"] = "APIVersion defines the versioned schema of this representation of an object." };
        properties["kind"] = new JsonObject { ["type"] = "string", ["description"] = "Kind is a string value representing the REST resource this object represents." };
        properties["metadata"] = objectMetaRef;
        schema["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject { ["group"] = definition.Group, ["version"] = definition.Version, ["kind"] = definition.Kind });
        return schema;
    }

    /// <summary>The list's schema, its items referring to <paramref name="itemRef"/>.</summary>
    public static JsonObject List(ResourceDefinition definition, string itemRef, JsonObject listMetaRef) => new()
    {
        ["type"] = "object",
        ["description"] = $"{definition.Kind}List is a list of {definition.Kind}",
        ["required"] = new JsonArray("items"),
        ["properties"] = new JsonObject
        {
            ["apiVersion"] = new JsonObject { ["type"] = "string" },
            ["kind"] = new JsonObject { ["type"] = "string" },
            ["metadata"] = listMetaRef,
            ["items"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["$ref"] = itemRef } },
        },
        ["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject { ["group"] = definition.Group, ["version"] = definition.Version, ["kind"] = definition.ListKind }),
    };

    private static void Strip(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (string key in NotInSwagger2)
                {
                    o.Remove(key);
                }

                foreach ((_, JsonNode? child) in o.ToList())
                {
                    Strip(child);
                }

                break;
            case JsonArray a:
                foreach (JsonNode? child in a)
                {
                    Strip(child);
                }

                break;
        }
    }
}
