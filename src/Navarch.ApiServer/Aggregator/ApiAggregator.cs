using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.ApiServer.Http;
using Navarch.ApiServer.Registry;
using Yarp.ReverseProxy.Forwarder;

namespace Navarch.ApiServer.Aggregator;

/// <summary>
/// kube-aggregator in front of the API server: the group/versions an APIService with a <c>service</c> claims are
/// proxied to that Service (request and response streamed by YARP, the caller's identity in the X-Remote-* headers
/// under the front-proxy client certificate, the client's own credentials dropped); <c>/apis</c> lists their groups
/// beside the built-in ones and <c>/apis/&lt;group&gt;</c> describes them. The APIServices are read from the watch
/// cache, so the check costs only requests the catalog does not serve.
/// </summary>
internal sealed class ApiAggregator(StoreRegistry stores, ApiServiceEndpoints endpoints, ApiServiceTransport transport, IHttpForwarder forwarder, OpenApiAggregationController? openApi = null, DiscoveryAggregationController? discovery = null)
{
    // An ordinary request is answered within a minute (kube-apiserver's request timeout); a watch may idle much longer.
    private static readonly ForwarderRequestConfig Request = new() { Version = System.Net.HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower, ActivityTimeout = TimeSpan.FromSeconds(60) };
    private static readonly ForwarderRequestConfig LongRunning = new() { Version = System.Net.HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower, ActivityTimeout = TimeSpan.FromMinutes(30) };

    /// <summary>The aggregated servers' discovery, for aggregated discovery; null when not fetched.</summary>
    public DiscoveryAggregationController? Discovery => discovery;

    /// <summary>The APIServices served by a Service (not local), as stored.</summary>
    public Task<List<V1APIService>> RemoteAsync(CancellationToken cancellationToken) => RemoteAsync(stores, cancellationToken);

    /// <summary>The APIServices served by a Service (not local), as stored in <paramref name="stores"/>.</summary>
    public static async Task<List<V1APIService>> RemoteAsync(StoreRegistry stores, CancellationToken cancellationToken)
    {
        GenericStore apiServices = stores.For("apiregistration.k8s.io", "v1", "apiservices");
        (List<Navarch.Storage.KeyValue> items, _) = await apiServices.ListCachedAsync(null, cancellationToken);
        return items.Select(kv => (V1APIService)apiServices.Decode(kv)).Where(a => a.Spec?.Service is not null).ToList();
    }

    /// <summary>The remote APIService that serves <paramref name="path"/> (<c>/apis/&lt;group&gt;/&lt;version&gt;[/...]</c>), or null.</summary>
    public async Task<V1APIService?> ServingAsync(string path, CancellationToken cancellationToken)
    {
        string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts is ["openapi", "v3", "apis", _, _])
        {
            // The OpenAPI document of an aggregated group/version is its server's.
            parts = parts[2..];
        }

        if (parts.Length < 3 || parts[0] != "apis")
        {
            return null;
        }

        return (await RemoteAsync(cancellationToken)).FirstOrDefault(a => a.Spec.Group == parts[1] && a.Spec.Version == parts[2]);
    }

    /// <summary>The local <c>/apis</c> document with the remote groups added (by group priority, then name).</summary>
    public async Task<byte[]> GroupListAsync(byte[] local, CancellationToken cancellationToken)
    {
        List<V1APIService> remote = await RemoteAsync(cancellationToken);
        if (remote.Count == 0)
        {
            return local;
        }

        var list = JsonSerializer.Deserialize<V1APIGroupList>(local, KubernetesSerialization.Options)!;
        var known = list.Groups.Select(g => g.Name).ToHashSet(StringComparer.Ordinal);
        foreach (IGrouping<string, V1APIService> group in remote.GroupBy(a => a.Spec.Group).OrderByDescending(g => g.Max(a => a.Spec.GroupPriorityMinimum)).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            if (known.Add(group.Key))
            {
                list.Groups.Add(Group(group.Key, group));
            }
        }

        return Encoding.UTF8.GetBytes(JsonSerializer.SerializeToNode(list, KubernetesSerialization.Options)!.ToJsonString(KubernetesSerialization.Plain));
    }

    /// <summary>
    /// The local <c>/openapi/v3</c> index with the group/versions the extension servers list in theirs, whose documents
    /// are proxied to them (kube-aggregator's OpenAPI v3 proxier).
    /// </summary>
    public byte[] OpenApiIndex(byte[] local) => openApi?.MergeV3Index(local) ?? local;

    /// <summary>The local <c>/openapi/v2</c> with the extension servers' specs merged in (kube-aggregator's OpenAPI aggregation).</summary>
    public byte[] OpenApiV2(byte[] local) => openApi?.MergeV2(local) ?? local;

    /// <summary>The <c>/apis/&lt;group&gt;</c> document of a group only APIServices serve, or null.</summary>
    public async Task<JsonNode?> GroupAsync(string group, CancellationToken cancellationToken)
    {
        var versions = (await RemoteAsync(cancellationToken)).Where(a => a.Spec.Group == group).ToList();
        return versions.Count == 0 ? null : JsonSerializer.SerializeToNode(Group(group, versions), KubernetesSerialization.Options);
    }

    /// <summary>Forwards the request to the Service of <paramref name="apiService"/> as <paramref name="user"/>.</summary>
    public async Task ProxyAsync(HttpContext context, V1APIService apiService, UserInfo user, bool longRunning)
    {
        ApiServiceEndpoints.Resolution resolution = await endpoints.ResolveAsync(apiService.Spec.Service, context.RequestAborted);
        if (resolution.Endpoint is not { } endpoint)
        {
            throw ApiErrors.Unavailable($"service unavailable: {resolution.Message}");
        }

        string pathAndQuery = context.Request.Path.Value + context.Request.QueryString.Value;
        ForwarderError error = await forwarder.SendAsync(
            context, ApiServiceTransport.Destination(endpoint).ToString(), transport.For(apiService), longRunning ? LongRunning : Request, new IdentityTransformer(pathAndQuery, user));
        if (error != ForwarderError.None && !context.Response.HasStarted)
        {
            Exception? cause = context.GetForwarderErrorFeature()?.Exception;
            // kube-aggregator's proxy error: 503 with the dial or TLS failure.
            throw ApiErrors.Unavailable($"error trying to reach service: {cause?.Message ?? error.ToString()}");
        }
    }

    private static V1APIGroup Group(string name, IEnumerable<V1APIService> apiServices)
    {
        var versions = apiServices.OrderByDescending(a => a.Spec.VersionPriority).ThenByDescending(a => a.Spec.Version, StringComparer.Ordinal)
            .Select(a => new V1GroupVersionForDiscovery { GroupVersion = $"{name}/{a.Spec.Version}", Version = a.Spec.Version }).ToList();
        return new V1APIGroup { Kind = "APIGroup", ApiVersion = "v1", Name = name, Versions = versions, PreferredVersion = versions[0] };
    }

    /// <summary>
    /// The request as the extension server must see it: the same path and query, none of the client's credentials or
    /// identity headers, and the authenticated user in X-Remote-User, X-Remote-Group and X-Remote-Extra-&lt;key&gt;.
    /// </summary>
    private sealed class IdentityTransformer(string pathAndQuery, UserInfo user) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.RequestUri = new Uri(destinationPrefix.TrimEnd('/') + pathAndQuery);
            proxyRequest.Headers.Authorization = null;
            foreach (string header in proxyRequest.Headers.Select(h => h.Key).ToList())
            {
                if (header.StartsWith("Impersonate-", StringComparison.OrdinalIgnoreCase) || header.StartsWith("X-Remote-", StringComparison.OrdinalIgnoreCase))
                {
                    proxyRequest.Headers.Remove(header);
                }
            }

            ApiServiceTransport.SetIdentity(proxyRequest, RemoteIdentityStream.HeadersOf(user));
        }
    }
}
