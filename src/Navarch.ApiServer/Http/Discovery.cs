using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Resources;

namespace Navarch.ApiServer.Http;

/// <summary>
/// The discovery documents kubectl reads first: /api, /apis, and the resource list of each group/version, built from
/// the catalog as it is (again after every change to it).
/// </summary>
internal sealed class Discovery(ResourceCatalog catalog)
{
    private static readonly string[] SubresourceVerbs = ["get", "patch", "update"];
    private static readonly string[] CreateOnly = ["create"];
    private static readonly string[] ConnectVerbs = ["create", "get"];

    private readonly CatalogCache<Dictionary<string, byte[]>> _documents = new(catalog, Build);

    public static JsonNode Versions(string serverAddress) => Serialize(new V1APIVersions
    {
        Kind = "APIVersions",
        Versions = ["v1"],
        ServerAddressByClientCIDRs = [new V1ServerAddressByClientCIDR { ClientCIDR = "0.0.0.0/0", ServerAddress = serverAddress }],
    });

    /// <summary>The document at <paramref name="path"/> (<c>/apis</c>, <c>/api/v1</c>, <c>/apis/{group}[/{version}]</c>) as JSON, or null.</summary>
    public byte[]? Find(string path) => _documents.Current.GetValueOrDefault(path.TrimEnd('/'));

    private static Dictionary<string, byte[]> Build(IReadOnlyList<ResourceDefinition> all)
    {
        var groupVersions = all.Select(d => (d.Group, d.Version)).Distinct().ToList();
        var documents = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            ["/apis"] = Bytes(Serialize(new V1APIGroupList
            {
                Kind = "APIGroupList",
                ApiVersion = "v1",
                Groups = groupVersions.Where(gv => gv.Group.Length > 0).GroupBy(gv => gv.Group).Select(g => Group(groupVersions, g.Key)).ToList(),
            })),
            ["/api/v1"] = Bytes(Resources(all, "", "v1")),
        };
        foreach ((string group, string version) in groupVersions.Where(gv => gv.Group.Length > 0))
        {
            documents[$"/apis/{group}"] = Bytes(Serialize(Group(groupVersions, group)));
            documents[$"/apis/{group}/{version}"] = Bytes(Resources(all, group, version));
        }

        return documents;
    }

    private static V1APIGroup Group(List<(string Group, string Version)> groupVersions, string group)
    {
        var versions = groupVersions.Where(gv => gv.Group == group)
            .Select(gv => new V1GroupVersionForDiscovery { GroupVersion = $"{group}/{gv.Version}", Version = gv.Version }).ToList();
        return new V1APIGroup { Kind = "APIGroup", ApiVersion = "v1", Name = group, Versions = versions, PreferredVersion = versions[0] };
    }

    private static JsonNode Resources(IReadOnlyList<ResourceDefinition> all, string group, string version) => Serialize(new V1APIResourceList
    {
        Kind = "APIResourceList",
        ApiVersion = "v1",
        GroupVersion = group.Length == 0 ? version : $"{group}/{version}",
        Resources = ApiResources(all, group, version),
    });

    /// <summary>
    /// The resources and subresources of one group/version as the legacy discovery lists them; the aggregated document
    /// is converted from these, as kube-apiserver converts it, so the two cannot disagree.
    /// </summary>
    public static List<V1APIResource> ApiResources(IReadOnlyList<ResourceDefinition> all, string group, string version)
    {
        var resources = new List<V1APIResource>();
        foreach (ResourceDefinition d in all.Where(d => d.Group == group && d.Version == version))
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

        return resources;
    }

    private static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString(KubernetesSerialization.Plain));

    private static JsonNode Serialize<T>(T value) => JsonSerializer.SerializeToNode(value, KubernetesSerialization.Options)!;
}
