using System.Text.Json.Nodes;

namespace Navarch.Api.ManagedFields;

/// <summary>
/// structured-merge-diff's operations on JSON objects under a <see cref="ITypeSchema"/>: the field set a configuration
/// sets, the comparison of two versions, the merge of an applied configuration into a live object, and the removal of
/// paths. Maps merge by key unless atomic; lists by their list type: atomic lists are replaced, sets are unions by
/// value, list-maps merge item by item by their key fields.
/// </summary>
public static class StructuredMerge
{
    /// <summary>
    /// The paths <paramref name="value"/> sets: each scalar, atomic list or atomic map, each set item, each list-map
    /// item (with its fields), and each empty map.
    /// </summary>
    public static FieldSet ToFieldSet(JsonObject value, ITypeSchema schema)
    {
        var set = new FieldSet();
        WalkObject(set, value, schema);
        return set;
    }

    private static void Walk(FieldSet node, JsonNode? value, ITypeSchema schema)
    {
        switch (value)
        {
            case JsonObject o when !schema.IsAtomicMap && o.Count > 0:
                WalkObject(node, o, schema);
                break;
            case JsonArray a when a.Count > 0 && schema.ListType == ListType.Set:
                foreach (JsonNode? item in a)
                {
                    node.Child(PathElements.Value(item)).IsMember = true;
                }

                break;
            case JsonArray a when a.Count > 0 && schema.ListType == ListType.Map:
                foreach (JsonNode? item in a)
                {
                    FieldSet child = node.Child(KeyOf(item, schema));
                    child.IsMember = true;
                    WalkObject(child, (JsonObject)item!, schema.Items);
                }

                break;
            default:
                node.IsMember = true;
                break;
        }
    }

    private static void WalkObject(FieldSet node, JsonObject value, ITypeSchema schema)
    {
        foreach ((string name, JsonNode? child) in value)
        {
            Walk(node.Child(PathElements.Field(name)), child, schema.Field(name));
        }
    }

    /// <summary>The path element of a list-map item; an item without a key field (that has no default) is a 400.</summary>
    private static string KeyOf(JsonNode? item, ITypeSchema list)
    {
        if (item is not JsonObject o)
        {
            throw ApiErrors.BadRequest($"associative list with keys has an element that is not a map: {item?.ToJsonString() ?? "null"}");
        }

        IReadOnlyList<string> names = list.ListMapKeys;
        var keys = new List<KeyValuePair<string, JsonNode?>>(names.Count);
        foreach (string name in names)
        {
            JsonNode? value = o[name] ?? list.KeyDefault(name)
                ?? throw ApiErrors.BadRequest($"associative list with keys has an element that omits key field \"{name}\" (and doesn't have default value)");
            keys.Add(new(name, value));
        }

        return names.Count == 0 ? PathElements.Value(o) : PathElements.Key(keys);
    }

    /// <summary>What changed from <paramref name="old"/> to <paramref name="updated"/>.</summary>
    public static Comparison Compare(JsonObject old, JsonObject updated, ITypeSchema schema)
    {
        var comparison = new Comparison(new FieldSet(), new FieldSet(), new FieldSet());
        CompareObjects(comparison.Added, comparison.Modified, comparison.Removed, old, updated, schema);
        return comparison;
    }

    private static void CompareObjects(FieldSet added, FieldSet modified, FieldSet removed, JsonObject old, JsonObject updated, ITypeSchema schema)
    {
        foreach ((string name, JsonNode? value) in updated)
        {
            string element = PathElements.Field(name);
            JsonNode? before = old[name];
            CompareValues(added, modified, removed, element, before, value, schema.Field(name));
        }

        foreach ((string name, JsonNode? value) in old)
        {
            if (value is not null && updated[name] is null)
            {
                Removed(removed.Child(PathElements.Field(name)), value, schema.Field(name));
            }
        }
    }

    private static void CompareValues(FieldSet added, FieldSet modified, FieldSet removed, string element, JsonNode? before, JsonNode? after, ITypeSchema schema)
    {
        if (after is null)
        {
            return; // handled by the removal pass
        }

        if (before is null)
        {
            Walk(added.Child(element), after, schema);
            return;
        }

        switch (before, after)
        {
            case (JsonObject o, JsonObject n) when !schema.IsAtomicMap:
                FieldSet a = added.Child(element), m = modified.Child(element), r = removed.Child(element);
                CompareObjects(a, m, r, o, n, schema);
                break;
            case (JsonArray o, JsonArray n) when schema.ListType != ListType.Atomic:
                CompareLists(added.Child(element), modified.Child(element), removed.Child(element), o, n, schema);
                break;
            default:
                if (!JsonNode.DeepEquals(before, after))
                {
                    modified.Child(element).IsMember = true;
                }

                break;
        }
    }

    private static void CompareLists(FieldSet added, FieldSet modified, FieldSet removed, JsonArray old, JsonArray updated, ITypeSchema schema)
    {
        Dictionary<string, JsonNode?> before = Items(old, schema), after = Items(updated, schema);
        foreach ((string element, JsonNode? item) in after)
        {
            if (!before.TryGetValue(element, out JsonNode? was))
            {
                FieldSet child = added.Child(element);
                child.IsMember = true;
                if (schema.ListType == ListType.Map)
                {
                    WalkObject(child, (JsonObject)item!, schema.Items);
                }
            }
            else if (schema.ListType == ListType.Map)
            {
                CompareObjects(added.Child(element), modified.Child(element), removed.Child(element), (JsonObject)was!, (JsonObject)item!, schema.Items);
            }
        }

        foreach ((string element, JsonNode? item) in before)
        {
            if (!after.ContainsKey(element))
            {
                FieldSet child = removed.Child(element);
                child.IsMember = true;
                if (schema.ListType == ListType.Map)
                {
                    WalkObject(child, (JsonObject)item!, schema.Items);
                }
            }
        }
    }

    private static void Removed(FieldSet node, JsonNode value, ITypeSchema schema)
    {
        Walk(node, value, schema);
        node.IsMember = true;
    }

    private static Dictionary<string, JsonNode?> Items(JsonArray list, ITypeSchema schema)
    {
        var items = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (JsonNode? item in list)
        {
            string element = schema.ListType == ListType.Set ? PathElements.Value(item) : KeyOf(item, schema);
            if (!items.TryAdd(element, item))
            {
                throw ApiErrors.BadRequest($"duplicate entries for key {PathElements.Describe([element])}");
            }
        }

        return items;
    }

    /// <summary>
    /// <paramref name="config"/> merged into a copy of <paramref name="live"/>: what the configuration sets wins, maps and
    /// list-maps merge, sets are unions, atomic values are replaced.
    /// </summary>
    public static JsonObject Merge(JsonObject live, JsonObject config, ITypeSchema schema) => (JsonObject)MergeValues(live, config, schema)!;

    private static JsonNode? MergeValues(JsonNode? live, JsonNode? config, ITypeSchema schema)
    {
        switch (live, config)
        {
            case (JsonObject l, JsonObject c) when !schema.IsAtomicMap:
                var merged = (JsonObject)l.DeepClone();
                foreach ((string name, JsonNode? value) in c)
                {
                    merged[name] = MergeValues(l[name], value, schema.Field(name));
                }

                return merged;
            case (JsonArray l, JsonArray c) when schema.ListType == ListType.Set:
                var union = (JsonArray)l.DeepClone();
                foreach (JsonNode? item in c)
                {
                    if (!l.Any(i => JsonNode.DeepEquals(i, item)))
                    {
                        union.Add(item?.DeepClone());
                    }
                }

                return union;
            case (JsonArray l, JsonArray c) when schema.ListType == ListType.Map:
                var items = l.Select(i => (Key: KeyOf(i, schema), Item: i?.DeepClone())).ToList();
                foreach (JsonNode? item in c)
                {
                    string key = KeyOf(item, schema);
                    int at = items.FindIndex(i => i.Key == key);
                    if (at < 0)
                    {
                        items.Add((key, item?.DeepClone()));
                    }
                    else
                    {
                        items[at] = (key, MergeValues(items[at].Item, item, schema.Items));
                    }
                }

                return new JsonArray(items.Select(i => i.Item).ToArray());
            default:
                return config?.DeepClone();
        }
    }

    /// <summary>Removes <paramref name="path"/> from <paramref name="obj"/> in place, when it is there.</summary>
    public static void Remove(JsonObject obj, IReadOnlyList<string> path, ITypeSchema schema)
    {
        JsonNode? node = obj;
        ITypeSchema at = schema;
        for (int i = 0; i < path.Count && node is not null; i++)
        {
            string element = path[i];
            bool last = i == path.Count - 1;
            switch (element[0], node)
            {
                case ('f', JsonObject o):
                    string name = element[2..];
                    if (last)
                    {
                        o.Remove(name);
                        return;
                    }

                    node = o[name];
                    at = at.Field(name);
                    break;
                case ('k' or 'v', JsonArray a):
                    JsonNode? item = a.FirstOrDefault(x => (at.ListType == ListType.Set ? PathElements.Value(x) : KeyOf(x, at)) == element);
                    if (last)
                    {
                        a.Remove(item);
                        return;
                    }

                    node = item;
                    at = at.Items;
                    break;
                default:
                    return;
            }
        }
    }
}
