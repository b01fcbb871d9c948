using System.Text.Json.Nodes;

namespace Navarch.Api.Apiextensions;

/// <summary>apiextensions-apiserver's listtype validation: items of a <c>set</c> and keys of a <c>map</c> list must be unique.</summary>
internal static class SchemaListTypes
{
    public static void Validate(SchemaNode schema, JsonArray array, string path, List<FieldError> errors)
    {
        switch (schema.ListType)
        {
            case "set":
                for (int i = 0; i < array.Count; i++)
                {
                    for (int j = 0; j < i; j++)
                    {
                        if (JsonNode.DeepEquals(array[i], array[j]))
                        {
                            errors.Add(new FieldError(FieldErrorType.Duplicate, SchemaPaths.Index(path, i), SchemaPaths.BadValue(array[i]), ""));
                            break;
                        }
                    }
                }

                break;
            case "map":
                var seen = new List<JsonObject>();
                for (int i = 0; i < array.Count; i++)
                {
                    if (array[i] is not JsonObject item)
                    {
                        errors.Add(new FieldError(FieldErrorType.Invalid, SchemaPaths.Index(path, i), SchemaPaths.BadValue(array[i]),
                            "must be an object for an array of list-type map"));
                        continue;
                    }

                    var key = MapKey(schema, item);
                    if (seen.Any(k => JsonNode.DeepEquals(k, key)))
                    {
                        errors.Add(new FieldError(FieldErrorType.Duplicate, SchemaPaths.Index(path, i), key.ToJsonString(), ""));
                    }
                    else
                    {
                        seen.Add(key);
                    }
                }

                break;
        }
    }

    /// <summary>The values of an item's <c>x-kubernetes-list-map-keys</c> (absent keys take the item schema's default).</summary>
    public static JsonObject MapKey(SchemaNode schema, JsonObject item)
    {
        var key = new JsonObject();
        foreach (string name in schema.ListMapKeys)
        {
            JsonNode? value = item[name] ?? (schema.Items?.Properties.TryGetValue(name, out var keySchema) == true ? keySchema.Default : null);
            key[name] = value?.DeepClone();
        }

        return key;
    }
}
