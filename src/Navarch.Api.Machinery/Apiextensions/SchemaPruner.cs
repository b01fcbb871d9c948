using System.Text.Json.Nodes;

namespace Navarch.Api.Apiextensions;

/// <summary>
/// apiextensions-apiserver's structural pruning: fields the schema does not specify are dropped unless the node has
/// <c>x-kubernetes-preserve-unknown-fields</c> or <c>additionalProperties</c>; apiVersion, kind and metadata stay at
/// the root and in embedded resources, whose metadata keeps only ObjectMeta's fields.
/// </summary>
internal static class SchemaPruner
{
    private static readonly HashSet<string> ObjectMetaFields = new(StringComparer.Ordinal)
    {
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
        "managedFields",
    };

    public static void Prune(SchemaNode schema, JsonNode? value, string path, bool isResource, List<string> pruned)
    {
        switch (value)
        {
            case JsonObject obj:
                PruneObject(schema, obj, path, isResource, pruned);
                break;
            case JsonArray array when schema.Items is { } items:
                for (int i = 0; i < array.Count; i++)
                {
                    Prune(items, array[i], SchemaPaths.Index(path, i), items.EmbeddedResource, pruned);
                }

                break;
        }
    }

    private static void PruneObject(SchemaNode schema, JsonObject obj, string path, bool isResource, List<string> pruned)
    {
        foreach (var (key, child) in obj.ToArray())
        {
            string childPath = SchemaPaths.Child(path, key);
            if (isResource && key is "apiVersion" or "kind")
            {
                continue;
            }

            if (isResource && key == "metadata")
            {
                PruneMetadata(child, childPath, pruned);
                continue;
            }

            if (schema.Properties.TryGetValue(key, out var property))
            {
                Prune(property, child, childPath, property.EmbeddedResource, pruned);
            }
            else if (schema.AdditionalProperties is { } additional)
            {
                Prune(additional, child, childPath, additional.EmbeddedResource, pruned);
            }
            else if (!schema.PreserveUnknownFields && !schema.AllowsAdditionalProperties)
            {
                obj.Remove(key);
                pruned.Add(childPath);
            }
        }
    }

    private static void PruneMetadata(JsonNode? metadata, string path, List<string> pruned)
    {
        if (metadata is not JsonObject meta)
        {
            return;
        }

        foreach (var (key, _) in meta.ToArray())
        {
            if (!ObjectMetaFields.Contains(key))
            {
                meta.Remove(key);
                pruned.Add(SchemaPaths.Child(path, key));
            }
        }
    }
}
