using System.Text.Json.Nodes;
using k8s.Models;

namespace Navarch.ApiServer.Http;

/// <summary>
/// kube-apiserver's ConvertGroupVersionIntoToDiscovery: a legacy resource list (<c>APIResource</c>s, subresources as
/// <c>parent/sub</c>) as the <c>APIResourceDiscovery</c> entries of aggregated discovery, fields in Go's order. Used
/// for the server's own group/versions and for an extension server that only serves legacy discovery.
/// </summary>
internal static class AggregatedResources
{
    public static JsonArray Convert(IEnumerable<V1APIResource> list)
    {
        var resources = new JsonArray();
        var parents = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        List<V1APIResource> all = list.ToList();
        foreach (V1APIResource r in all.Where(r => !r.Name.Contains('/', StringComparison.Ordinal)))
        {
            var resource = new JsonObject
            {
                ["resource"] = r.Name,
                ["responseKind"] = Kind(r.Group, r.Version, r.Kind),
                ["scope"] = Scope(r.Namespaced),
                ["singularResource"] = r.SingularName ?? "",
                ["verbs"] = Strings(r.Verbs),
            };
            if (r.ShortNames is { Count: > 0 })
            {
                resource["shortNames"] = Strings(r.ShortNames);
            }

            if (r.Categories is { Count: > 0 })
            {
                resource["categories"] = Strings(r.Categories);
            }

            resources.Add(resource);
            parents[r.Name] = resource;
        }

        foreach (V1APIResource r in all.Where(r => r.Name.Contains('/', StringComparison.Ordinal)))
        {
            string[] split = r.Name.Split('/', 2);
            if (!parents.TryGetValue(split[0], out JsonObject? parent))
            {
                // A subresource without its parent gets an empty one (an empty responseKind: old clients dereference it).
                parent = new JsonObject { ["resource"] = split[0], ["responseKind"] = Kind(null, null, null), ["scope"] = Scope(r.Namespaced), ["singularResource"] = "", ["verbs"] = new JsonArray() };
                resources.Add(parent);
                parents[split[0]] = parent;
            }

            if (parent["subresources"] is not JsonArray subresources)
            {
                subresources = [];
                parent["subresources"] = subresources;
            }

            subresources.Add(new JsonObject
            {
                ["subresource"] = split[1],
                ["responseKind"] = Kind(r.Group, r.Version, r.Kind),
                ["verbs"] = Strings(r.Verbs),
            });
        }

        return resources;
    }

    private static JsonObject Kind(string? group, string? version, string? kind) => new() { ["group"] = group ?? "", ["version"] = version ?? "", ["kind"] = kind ?? "" };

    private static string Scope(bool namespaced) => namespaced ? "Namespaced" : "Cluster";

    private static JsonArray Strings(IEnumerable<string>? values) => new((values ?? []).Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
