using System.Text.Json.Nodes;

namespace Navarch.Api.Apiextensions;

/// <summary>
/// apiextensions-apiserver's structural defaulting: an absent property with a <c>default</c> — or a null one that is not
/// nullable — gets a copy of the default, top-down (so defaults inside a default apply too); then a null that is neither
/// nullable nor defaulted is dropped (<c>PruneNonNullableNullsWithoutDefaults</c>).
/// </summary>
internal static class SchemaDefaulter
{
    public static void Apply(SchemaNode schema, JsonNode? value, bool isRoot)
    {
        switch (value)
        {
            case JsonObject obj:
                foreach (var (name, property) in schema.Properties)
                {
                    if (isRoot && name == "metadata")
                    {
                        continue;
                    }

                    bool present = obj.TryGetPropertyValue(name, out var current);
                    if (property.Default is not null && (!present || (current is null && !property.Nullable)))
                    {
                        obj[name] = property.Default.DeepClone();
                    }
                    else if (present && current is null && !property.Nullable)
                    {
                        obj.Remove(name);
                    }
                }

                foreach (var (key, child) in obj.ToArray())
                {
                    if (isRoot && key == "metadata")
                    {
                        continue;
                    }

                    if (schema.Properties.TryGetValue(key, out var property))
                    {
                        Apply(property, child, isRoot: false);
                    }
                    else if (schema.AdditionalProperties is { } additional)
                    {
                        if (child is null && !additional.Nullable)
                        {
                            if (additional.Default is not null)
                            {
                                obj[key] = additional.Default.DeepClone();
                            }
                            else
                            {
                                obj.Remove(key);
                            }
                        }
                        else
                        {
                            Apply(additional, child, isRoot: false);
                        }
                    }
                }

                break;
            case JsonArray array when schema.Items is { } items:
                for (int i = 0; i < array.Count; i++)
                {
                    if (array[i] is null && items.Default is not null && !items.Nullable)
                    {
                        array[i] = items.Default.DeepClone();
                    }

                    Apply(items, array[i], isRoot: false);
                }

                break;
        }
    }
}
