using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.Api.Apiextensions;
using Navarch.Api.Resources;

namespace Navarch.ApiServer.Http;

/// <summary>
/// kube-apiserver's aggregated discovery (apidiscovery.k8s.io v2 and v2beta1): <c>/api</c> and <c>/apis</c> answer one
/// <c>APIGroupDiscoveryList</c> with every group, version and resource when the client asks for it, so kubectl needs
/// one request instead of one per group/version. Built from the same legacy resource lists as the per-group/version
/// documents (for the catalog: built-in and established custom resources) plus the aggregated APIServices' versions;
/// groups by priority then name, versions by priority then Kubernetes' version order. Rebuilt only when the catalog or
/// an aggregated server's discovery changed; served with an ETag (If-None-Match answers 304) and Vary: Accept.
/// </summary>
internal sealed class AggregatedDiscovery(ResourceCatalog catalog, Func<(int Generation, IReadOnlyList<DiscoveryVersion> Versions)>? remote = null)
{
    private readonly CatalogCache<IReadOnlyList<DiscoveryVersion>> _local = new(catalog, Local);
    private volatile Documents? _documents;

    /// <summary>Writes the document of <c>/api</c> (<paramref name="core"/>) or <c>/apis</c> in <paramref name="version"/>.</summary>
    public async Task WriteAsync(HttpContext context, bool core, string version)
    {
        Document document = core ? Current().Core : Current().Groups;
        context.Response.Headers.ETag = document.ETag;
        context.Response.Headers.Vary = "Accept";
        context.Response.Headers.CacheControl = "public";
        if (context.Request.Headers.IfNoneMatch.ToString() == document.ETag)
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        byte[] body = version == "v2" ? document.V2 : document.V2Beta1;
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = DiscoveryNegotiation.ContentType(version);
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private Documents Current()
    {
        IReadOnlyList<DiscoveryVersion> local = _local.Current;
        (int generation, IReadOnlyList<DiscoveryVersion> aggregated) = remote?.Invoke() ?? (0, []);
        Documents? documents = _documents;
        if (documents is not null && ReferenceEquals(documents.Local, local) && documents.Generation == generation)
        {
            return documents;
        }

        // The server's own group/versions win over an APIService claiming the same one (it is served locally).
        var served = local.Select(v => (v.Group, v.Version)).ToHashSet();
        List<DiscoveryVersion> all = [.. local, .. aggregated.Where(v => !served.Contains((v.Group, v.Version)))];
        documents = new Documents(local, generation, Build(all.Where(v => v.Group.Length == 0)), Build(all.Where(v => v.Group.Length > 0)));
        _documents = documents;
        return documents;
    }

    private static List<DiscoveryVersion> Local(IReadOnlyList<ResourceDefinition> definitions) =>
        definitions.Select(d => (d.Group, d.Version)).Distinct()
            .Select(gv => new DiscoveryVersion(
                gv.Group, gv.Version, Aggregator.LocalApiServices.GroupPriority(gv.Group), Aggregator.LocalApiServices.VersionPriority,
                AggregatedResources.Convert(Discovery.ApiResources(definitions, gv.Group, gv.Version)), Stale: false))
            .ToList();

    private static Document Build(IEnumerable<DiscoveryVersion> versions)
    {
        var items = new JsonArray();
        foreach (IGrouping<string, DiscoveryVersion> group in versions.GroupBy(v => v.Group)
                     .OrderByDescending(g => g.Max(v => v.GroupPriority)).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            var metadata = new JsonObject();
            if (group.Key.Length > 0)
            {
                metadata["name"] = group.Key;
            }

            // Go's ObjectMeta writes its zero creationTimestamp as null.
            metadata["creationTimestamp"] = null;
            var list = new JsonArray();
            foreach (DiscoveryVersion v in group.OrderByDescending(v => v.VersionPriority).ThenByDescending(v => v.Version, KubeAwareVersions.Comparer))
            {
                var version = new JsonObject { ["version"] = v.Version };
                if (v.Resources is { Count: > 0 })
                {
                    version["resources"] = v.Resources.DeepClone();
                }

                version["freshness"] = v.Stale ? "Stale" : "Current";
                list.Add(version);
            }

            items.Add(new JsonObject { ["metadata"] = metadata, ["versions"] = list });
        }

        string v2 = List("v2", items), v2beta1 = List("v2beta1", items);
        // As kube-apiserver: the hash of the document, the same for every encoding (Vary: Accept tells caches apart).
        string etag = "\"" + Convert.ToHexString(SHA512.HashData(Encoding.UTF8.GetBytes(v2))) + "\"";
        return new Document(Encoding.UTF8.GetBytes(v2), Encoding.UTF8.GetBytes(v2beta1), etag);
    }

    private static string List(string version, JsonArray items) => new JsonObject
    {
        ["kind"] = DiscoveryNegotiation.ListKind,
        ["apiVersion"] = $"{DiscoveryNegotiation.Group}/{version}",
        ["metadata"] = new JsonObject(),
        ["items"] = items.DeepClone(),
    }.ToJsonString(KubernetesSerialization.Plain);

    private sealed record Document(byte[] V2, byte[] V2Beta1, string ETag);

    private sealed record Documents(IReadOnlyList<DiscoveryVersion> Local, int Generation, Document Core, Document Groups);
}
