using System.Text.Json.Nodes;

namespace Navarch.Api.Patch;

/// <summary>
/// Kubernetes' strategic merge patch for the built-in types, as <c>kubectl apply</c> and <c>kubectl patch</c> send
/// it: maps merge, null deletes, lists of objects with a merge key merge item by item, primitive lists with the
/// merge strategy take the union, other lists are replaced; with the directives <c>$patch</c> (replace, delete,
/// merge), <c>$retainKeys</c>, <c>$setElementOrder/…</c> and <c>$deleteFromPrimitiveList/…</c>.
/// The patch metadata (which lists merge, by which key) is Kubernetes' <c>patchMergeKey</c> struct tags, looked
/// up by field name in <see cref="BuiltInFields"/>, which server-side apply reads too.
/// </summary>
public static class StrategicMergePatch
{
    private const string SetElementOrder = "$setElementOrder/";
    private const string DeleteFromPrimitiveList = "$deleteFromPrimitiveList/";

    /// <summary>Applies <paramref name="patch"/> to <paramref name="original"/> (changed in place) and returns the result.</summary>
    public static JsonNode? Apply(JsonNode? original, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            throw ApiErrors.BadRequest("strategic merge patch must be a JSON object");
        }

        return MergeObject(original as JsonObject ?? [], patchObject);
    }

    private static JsonObject? MergeObject(JsonObject original, JsonObject patch)
    {
        switch (patch["$patch"] is { } directive ? Text(directive) ?? throw ApiErrors.BadRequest($"Unknown patch type: {directive.ToJsonString()}") : null)
        {
            case "replace":
                var replacement = (JsonObject)patch.DeepClone();
                replacement.Remove("$patch");
                return replacement;
            case "delete":
                return null;
            case null or "merge":
                break;
            default:
                throw ApiErrors.BadRequest($"Unknown patch type: {patch["$patch"]}");
        }

        if (patch["$retainKeys"] is { } retainKeys)
        {
            // mergepatch.ErrBadPatchFormatForRetainKeys: a list of field names, nothing else.
            if (retainKeys is not JsonArray retain || retain.Any(k => Text(k) is null))
            {
                throw ApiErrors.BadRequest("invalid patch format of retainKeys");
            }

            var keep = retain.Select(Text).ToHashSet(StringComparer.Ordinal);
            foreach (string key in original.Select(kv => kv.Key).Where(k => !keep.Contains(k)).ToList())
            {
                original.Remove(key);
            }
        }

        foreach ((string name, JsonNode? value) in patch)
        {
            if (name.StartsWith('$'))
            {
                continue;
            }

            if (value is null)
            {
                original.Remove(name);
                continue;
            }

            JsonNode? merged = value switch
            {
                JsonObject o when original[name] is JsonObject existing => MergeObject(existing, o),
                JsonObject o => MergeObject([], o),
                JsonArray a => MergeList(name, original[name] as JsonArray, a),
                _ => value.DeepClone(),
            };
            original.Remove(name);
            if (merged is not null)
            {
                original[name] = merged;
            }
        }

        foreach ((string name, JsonNode? value) in patch)
        {
            if (name.StartsWith(DeleteFromPrimitiveList, StringComparison.Ordinal) && value is JsonArray remove && original[name[DeleteFromPrimitiveList.Length..]] is JsonArray list)
            {
                foreach (JsonNode? item in list.Where(i => remove.Any(r => JsonNode.DeepEquals(r, i))).ToList())
                {
                    list.Remove(item);
                }
            }
        }

        foreach ((string name, JsonNode? value) in patch)
        {
            if (name.StartsWith(SetElementOrder, StringComparison.Ordinal) && value is JsonArray order && original[name[SetElementOrder.Length..]] is JsonArray list)
            {
                string field = name[SetElementOrder.Length..];
                original[field] = Reorder(field, list, order);
            }
        }

        return original;
    }

    /// <summary>A string value, or null for anything else.</summary>
    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? text) ? text : null;

    private static JsonArray MergeList(string field, JsonArray? original, JsonArray patch)
    {
        if (patch.Any(i => i is JsonObject o && o["$patch"]?.GetValue<string>() == "replace"))
        {
            return new JsonArray(patch.Where(i => !(i is JsonObject o && o.ContainsKey("$patch"))).Select(i => i?.DeepClone()).ToArray());
        }

        string? key = MergeKeyFor(field, original, patch);
        if (key is null)
        {
            if (!BuiltInFields.PrimitiveMergeLists.Contains(field))
            {
                return (JsonArray)patch.DeepClone();
            }

            var union = original is null ? [] : (JsonArray)original.DeepClone();
            foreach (JsonNode? item in patch)
            {
                if (!union.Any(u => JsonNode.DeepEquals(u, item)))
                {
                    union.Add(item?.DeepClone());
                }
            }

            return union;
        }

        var result = original is null ? [] : (JsonArray)original.DeepClone();
        foreach (JsonNode? item in patch)
        {
            if (item is not JsonObject patchItem)
            {
                throw ApiErrors.BadRequest($"strategic merge patch: the items of {field} must be objects");
            }

            JsonNode? id = patchItem[key];
            JsonObject? existing = result.OfType<JsonObject>().FirstOrDefault(o => JsonNode.DeepEquals(o[key], id));
            if (patchItem["$patch"]?.GetValue<string>() == "delete")
            {
                if (existing is not null)
                {
                    result.Remove(existing);
                }

                continue;
            }

            if (existing is null)
            {
                var added = (JsonObject)patchItem.DeepClone();
                added.Remove("$patch");
                result.Add(added);
            }
            else
            {
                int index = result.IndexOf(existing);
                JsonObject? merged = MergeObject(existing, patchItem);
                result.RemoveAt(index);
                if (merged is not null)
                {
                    result.Insert(index, merged.Parent is null ? merged : (JsonObject)merged.DeepClone());
                }
            }
        }

        return result;
    }

    private static string? MergeKeyFor(string field, JsonArray? original, JsonArray patch)
    {
        if (!BuiltInFields.MergeKeys.TryGetValue(field, out string[]? candidates))
        {
            return null;
        }

        IEnumerable<JsonObject> items = (original ?? []).Concat(patch).OfType<JsonObject>();
        return candidates.FirstOrDefault(c => items.Any(i => i.ContainsKey(c))) ?? candidates[0];
    }

    private static JsonArray Reorder(string field, JsonArray list, JsonArray order)
    {
        string? key = MergeKeyFor(field, list, order);
        JsonNode? Id(JsonNode? n) => key is not null && n is JsonObject o ? o[key] : n;
        var items = list.Select(i => i?.DeepClone()).ToList();
        var ordered = new List<JsonNode?>();
        foreach (JsonNode? wanted in order)
        {
            JsonNode? match = items.FirstOrDefault(i => JsonNode.DeepEquals(Id(i), Id(wanted)));
            if (match is not null)
            {
                ordered.Add(match);
                items.Remove(match);
            }
        }

        ordered.AddRange(items);
        return new JsonArray(ordered.ToArray());
    }
}
