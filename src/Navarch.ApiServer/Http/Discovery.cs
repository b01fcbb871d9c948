using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Resources;

namespace Navarch.ApiServer.Http;

/// <summary>The discovery documents kubectl reads first: /api, /apis, and the resource list of each group/version.</summary>
internal sealed class Discovery(ResourceCatalog catalog)
{
    private static readonly string[] SubresourceVerbs = ["get", "patch", "update"];
    private static readonly string[] CreateOnly = ["create"];
    private static readonly string[] ConnectVerbs = ["create", "get"];

    public static JsonNode Versions(string serverAddress) => Serialize(new V1APIVersions
    {
        Kind = "APIVersions",
        Versions = ["v1"],
        ServerAddressByClientCIDRs = [new V1ServerAddressByClientCIDR { ClientCIDR = "0.0.0.0/0", ServerAddress = serverAddress }],
    });

    public JsonNode Groups() => Serialize(new V1APIGroupList
    {
        Kind = "APIGroupList",
        ApiVersion = "v1",
        Groups = catalog.GroupVersions.Where(gv => gv.Group.Length > 0).GroupBy(gv => gv.Group).Select(g => Group(g.Key)).ToList(),
    });

    public JsonNode? GroupDocument(string group) =>
        catalog.GroupVersions.Any(gv => gv.Group == group) ? Serialize(Group(group)) : null;

    private V1APIGroup Group(string group)
    {
        var versions = catalog.GroupVersions.Where(gv => gv.Group == group)
            .Select(gv => new V1GroupVersionForDiscovery { GroupVersion = $"{group}/{gv.Version}", Version = gv.Version }).ToList();
        return new V1APIGroup { Kind = "APIGroup", ApiVersion = "v1", Name = group, Versions = versions, PreferredVersion = versions[0] };
    }

    public JsonNode Resources(string group, string version)
    {
        var resources = new List<V1APIResource>();
        foreach (ResourceDefinition d in catalog.All.Where(d => d.Group == group && d.Version == version))
        {
            resources.Add(new V1APIResource
            {
                Name = d.Plural,
                SingularName = d.Singular,
                Namespaced = d.Namespaced,
                Kind = d.Kind,
                Verbs = d.Verbs.ToList(),
                ShortNames = d.ShortNames.Count > 0 ? d.ShortNames.ToList() : null,
                Categories = d.Categories.Count > 0 ? d.Categories.ToList() : null,
            });
            foreach (string sub in d.Subresources)
            {
                (string kind, string? subGroup, string? subVersion, IList<string> verbs) = sub switch
                {
                    "scale" => ("Scale", "autoscaling", "v1", SubresourceVerbs),
                    "binding" => ("Binding", null, null, CreateOnly),
                    "eviction" => ("Eviction", "policy", "v1", CreateOnly),
                    "log" => ("Pod", null, null, ["get"]),
                    "exec" or "attach" or "portforward" or "proxy" => (d.Kind == "Pod" ? "PodExecOptions" : d.Kind, null, null, ConnectVerbs),
                    "token" => ("TokenRequest", "authentication.k8s.io", "v1", CreateOnly),
                    "finalize" => (d.Kind, null, null, ["update"]),
                    _ => (d.Kind, null, null, SubresourceVerbs),
                };
                resources.Add(new V1APIResource
                {
                    Name = $"{d.Plural}/{sub}",
                    SingularName = "",
                    Namespaced = d.Namespaced,
                    Kind = kind,
                    Group = subGroup,
                    Version = subVersion,
                    Verbs = verbs.ToList(),
                });
            }
        }

        return Serialize(new V1APIResourceList
        {
            Kind = "APIResourceList",
            ApiVersion = "v1",
            GroupVersion = group.Length == 0 ? version : $"{group}/{version}",
            Resources = resources,
        });
    }

    private static JsonNode Serialize<T>(T value) => JsonSerializer.SerializeToNode(value, KubernetesSerialization.Options)!;
}
