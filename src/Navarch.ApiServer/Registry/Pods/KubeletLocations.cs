using System.Globalization;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Navarch.Api;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Registry.Pods;

/// <summary>
/// Where a pod's streams are served (pod strategy's LogLocation, ExecLocation, PortForwardLocation): its node's
/// kubelet endpoint and the kubelet API path; the request goes there through the <see cref="KubeletProxy"/>.
/// </summary>
internal sealed class KubeletLocations(StoreRegistry stores, KubeletProxy kubelets)
{
    /// <summary>The pod, which must be on a node.</summary>
    public static async Task<V1Pod> ScheduledPodAsync(RestRequest request, CancellationToken cancellationToken)
    {
        var pod = (V1Pod)await request.Store.GetAsync(request.Info.Namespace, request.Name, cancellationToken);
        return string.IsNullOrEmpty(pod.Spec?.NodeName) ? throw ApiErrors.BadRequest($"pod {request.Name} does not have a host assigned") : pod;
    }

    /// <summary>
    /// The container a log, exec or attach is for (validateContainer): the one asked for — an init, app or ephemeral
    /// container of the pod — or the only app container.
    /// </summary>
    public static string Container(V1Pod pod, HttpRequest request)
    {
        string name = pod.Metadata.Name;
        string container = request.Query["container"].ToString();
        // podutil.VisitContainers' order: init, app, then ephemeral containers.
        var all = (pod.Spec.InitContainers ?? []).Select(c => c.Name)
            .Concat((pod.Spec.Containers ?? []).Select(c => c.Name))
            .Concat((pod.Spec.EphemeralContainers ?? []).Select(c => c.Name)).ToList();
        if (container.Length == 0)
        {
            return pod.Spec.Containers?.Count == 1
                ? pod.Spec.Containers[0].Name
                : throw ApiErrors.BadRequest($"a container name must be specified for pod {name}, choose one of: [{string.Join(" ", all)}]");
        }

        return all.Contains(container) ? container : throw ApiErrors.BadRequest($"container {container} is not valid for pod {name}");
    }

    /// <summary>Passes the request to <paramref name="path"/> on the pod's kubelet, with the query (less <c>container</c>).</summary>
    public async Task ForwardAsync(HttpContext context, V1Pod pod, string path)
    {
        string target = await KubeletEndpointAsync(pod.Spec.NodeName, context.RequestAborted);
        var query = context.Request.Query.Where(q => q.Key != "container");
        var builder = new QueryBuilder(query.SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))));
        await kubelets.ForwardAsync(context, target, path + builder.ToQueryString());
    }

    private async Task<string> KubeletEndpointAsync(string nodeName, CancellationToken cancellationToken) =>
        EndpointOf((V1Node)await stores.For("", "v1", "nodes").GetAsync(null, nodeName, cancellationToken));

    /// <summary>The node's kubelet endpoint (https://host:port): its InternalIP (or first address) and daemon endpoint port.</summary>
    public static string EndpointOf(V1Node node)
    {
        string nodeName = node.Metadata.Name;
        string? address = node.Status?.Addresses?.FirstOrDefault(a => a.Type == "InternalIP")?.Address
            ?? node.Status?.Addresses?.FirstOrDefault()?.Address
            ?? throw ApiErrors.Unavailable($"node {nodeName} reports no address");
        int port = node.Status?.DaemonEndpoints?.KubeletEndpoint?.Port is { } p and > 0 ? p : 10250;
        string host = address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address;
        return $"https://{host}:{port.ToString(CultureInfo.InvariantCulture)}";
    }
}
