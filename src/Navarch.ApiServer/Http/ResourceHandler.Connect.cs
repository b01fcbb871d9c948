using System.Globalization;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Navarch.Api;
using Navarch.Storage;

namespace Navarch.ApiServer.Http;

internal sealed partial class ResourceHandler
{
    /// <summary>The kubelet proxy; set once the web host exists.</summary>
    public KubeletProxy? Kubelets { get; set; }

    /// <summary>Issues service account tokens for <c>serviceaccounts/token</c>; without it the subresource is not served.</summary>
    public ServiceAccounts.ServiceAccountTokens? Tokens { get; set; }

    /// <summary>
    /// pods/log, exec, attach and portforward: find the pod's node and its kubelet endpoint, and pass the request
    /// through to the kubelet's own API (<c>/containerLogs</c>, <c>/exec</c>, <c>/attach</c>, <c>/portForward</c>).
    /// </summary>
    private async Task ConnectAsync(HttpContext context, ResourceDefinition definition, string? ns, string name, string? sub)
    {
        IKubernetesObject<V1ObjectMeta> obj = await GetAsync(definition, ns, name, context.RequestAborted);
        if (obj is not V1Pod pod || sub == "proxy")
        {
            throw ApiErrors.Unavailable($"{definition.Plural}/{sub} is not served yet");
        }

        if (string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            throw ApiErrors.BadRequest($"pod {name} does not have a host assigned");
        }

        var query = context.Request.Query.Where(q => q.Key != "container").ToList();
        string path;
        if (sub == "portforward")
        {
            path = $"/portForward/{ns}/{name}";
        }
        else
        {
            string container = context.Request.Query["container"].ToString();
            var containers = (pod.Spec.Containers ?? []).Select(c => c.Name).Concat((pod.Spec.InitContainers ?? []).Select(c => c.Name)).ToList();
            if (container.Length == 0)
            {
                container = pod.Spec.Containers?.Count == 1
                    ? pod.Spec.Containers[0].Name
                    : throw ApiErrors.BadRequest($"a container name must be specified for pod {name}, choose one of: [{string.Join(" ", pod.Spec.Containers?.Select(c => c.Name) ?? [])}]");
            }
            else if (!containers.Contains(container))
            {
                throw ApiErrors.BadRequest($"container {container} is not valid for pod {name}");
            }

            path = $"/{(sub == "log" ? "containerLogs" : sub)}/{ns}/{name}/{container}";
        }

        string target = await KubeletEndpointAsync(pod.Spec.NodeName, context.RequestAborted);
        var builder = new QueryBuilder(query.SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))));
        await (Kubelets ?? throw ApiErrors.Unavailable("the kubelet proxy is not running")).ForwardAsync(context, target, path + builder.ToQueryString());
    }

    private async Task<string> KubeletEndpointAsync(string nodeName, CancellationToken cancellationToken)
    {
        ResourceDefinition nodes = catalog.Find("", "v1", "nodes")!;
        KeyValue kv = await store.GetAsync(nodes.Key(null, nodeName), 0, cancellationToken)
            ?? throw ApiErrors.NotFound("nodes", nodeName);
        var node = (V1Node)Registry.ObjectCodec.Decode(nodes, kv);
        string? address = node.Status?.Addresses?.FirstOrDefault(a => a.Type == "InternalIP")?.Address
            ?? node.Status?.Addresses?.FirstOrDefault()?.Address
            ?? throw ApiErrors.Unavailable($"node {nodeName} reports no address");
        int port = node.Status?.DaemonEndpoints?.KubeletEndpoint?.Port is { } p and > 0 ? p : 10250;
        string host = address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address;
        return $"https://{host}:{port.ToString(CultureInfo.InvariantCulture)}";
    }
}
