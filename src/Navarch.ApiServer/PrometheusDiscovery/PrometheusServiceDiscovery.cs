using System.Text.Json;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.ApiServer.Admission;
using Navarch.ApiServer.Authorization;
using Navarch.ApiServer.Http;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.PrometheusDiscovery;

/// <summary>
/// Prometheus' HTTP service discovery (<c>http_sd_configs</c>) served by the API server, for a Prometheus built without
/// Kubernetes discovery (Debian's): <c>GET /v1-navarch/prometheus/sd/ROLE</c> answers a JSON list of
/// <c>{"targets": [...], "labels": {...}}</c> with the <c>__meta_kubernetes_*</c> labels Kubernetes discovery gives.
/// Roles: <c>apiservers</c> (the <c>default/kubernetes</c> endpoints), <c>kubelets</c> (every node), <c>pods</c> and
/// <c>services</c> (those annotated <c>prometheus.io/scrape: "true"</c>), <c>kube-controller-manager</c> and
/// <c>kube-scheduler</c> (their secure ports on every API server's machine), <c>kube-proxy</c> (every node) and
/// <c>coredns</c> (the <c>kube-system/kube-dns</c> endpoints). One role per scrape job, since each component is
/// reached with its own TLS settings. A non-resource URL, so RBAC decides who reads it (<c>get</c> on the path), and
/// the reader must also be allowed to <c>list</c> what the role reveals (nodes, pods, services, endpoints), as a
/// Prometheus with Kubernetes discovery must. A server that publishes no <c>default/kubernetes</c> endpoints (it
/// listens on loopback only) answers its own address for the API servers and the components beside it.
/// </summary>
internal sealed class PrometheusServiceDiscovery
{
    /// <summary>The path under which every role is served.</summary>
    public const string Prefix = "/v1-navarch/prometheus/sd/";

    private static readonly string[] Roles = ["apiservers", "kubelets", "pods", "services", "kube-controller-manager", "kube-scheduler", "kube-proxy", "coredns"];

    private readonly ObjectLister<V1Node> _nodes;
    private readonly ObjectLister<V1Pod> _pods;
    private readonly ObjectLister<V1Service> _services;
    private readonly ObjectLister<V1Endpoints> _endpoints;
    private readonly IAuthorizer _authorizer;
    private readonly PrometheusDiscoveryOptions _options;
    private readonly string? _nodeName;

    public PrometheusServiceDiscovery(WatchCaches caches, ResourceCatalog catalog, IAuthorizer authorizer, PrometheusDiscoveryOptions options, string? nodeName)
    {
        _nodeName = nodeName;
        _nodes = new(caches, catalog.Find("", "v1", "nodes")!);
        _pods = new(caches, catalog.Find("", "v1", "pods")!);
        _services = new(caches, catalog.Find("", "v1", "services")!);
        _endpoints = new(caches, catalog.Find("", "v1", "endpoints")!);
        _authorizer = authorizer;
        _options = options;
    }

    /// <summary>This server's own address (host:port), known once it listens.</summary>
    public System.Net.IPEndPoint? ServerAddress { get; set; }

    /// <summary>
    /// Serves the request when it is for a role (after the pipeline authorized <c>get</c> on its path); false for
    /// any other path.
    /// </summary>
    public async Task<bool> TryHandleAsync(HttpContext context, UserInfo user)
    {
        string path = context.Request.Path.Value ?? "";
        if (!path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        if (!HttpMethods.IsGet(context.Request.Method))
        {
            throw new StatusException(new V1Status { Kind = "Status", ApiVersion = "v1", Status = "Failure", Code = 405, Reason = "MethodNotAllowed", Message = $"the server does not allow {context.Request.Method} on {path}" });
        }

        string role = path[Prefix.Length..].TrimEnd('/');
        if (Reads(role) is not { } resources)
        {
            StatusException notFound = ApiErrors.NotFound("", "");
            notFound.Status.Message = $"no Prometheus discovery role \"{role}\" (one of: {string.Join(", ", Roles)})";
            throw notFound;
        }

        foreach (string resource in resources)
        {
            var attributes = new RequestAttributes(user, "list", "", resource, null, null, null);
            if (await _authorizer.AuthorizeAsync(attributes, context.RequestAborted) is { } refusal)
            {
                throw ForbiddenStatus.For(attributes, refusal);
            }
        }

        List<TargetGroup> groups = [.. await DiscoverAsync(role, context.RequestAborted)];
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartArray();
        foreach (TargetGroup group in groups)
        {
            json.WriteStartObject();
            json.WriteStartArray("targets");
            foreach (string target in group.Targets)
            {
                json.WriteStringValue(target);
            }

            json.WriteEndArray();
            json.WriteStartObject("labels");
            foreach ((string name, string value) in group.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
            {
                json.WriteString(name, value);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        await json.FlushAsync(context.RequestAborted);
        return true;
    }

    /// <summary>The resources a role reveals (its reader must be allowed to list them), or null for no such role.</summary>
    private static string[]? Reads(string role) => role switch
    {
        "apiservers" or "coredns" => ["services", "endpoints"],
        "kubelets" or "kube-proxy" => ["nodes"],
        "pods" => ["pods"],
        "services" => ["services", "endpoints", "pods"],
        "kube-controller-manager" or "kube-scheduler" => ["endpoints"],
        _ => null,
    };

    private async Task<IEnumerable<TargetGroup>> DiscoverAsync(string role, CancellationToken cancellationToken)
    {
        switch (role)
        {
            case "kubelets":
                return Targets.Kubelets(await _nodes.ListAsync(null, cancellationToken));
            case "kube-proxy":
                return _options.ProxyMetricsPort is { } proxyPort ? Targets.NodeComponents(await _nodes.ListAsync(null, cancellationToken), "kube-proxy", proxyPort) : [];
            case "pods":
                return Targets.Pods(await _pods.ListAsync(null, cancellationToken));
            case "services":
            {
                Dictionary<(string, string), V1Endpoints> endpoints = (await _endpoints.ListAsync(null, cancellationToken)).ToDictionary(e => (e.Metadata.NamespaceProperty ?? "", e.Metadata.Name));
                Dictionary<(string, string), V1Pod> pods = (await _pods.ListAsync(null, cancellationToken)).ToDictionary(p => (p.Metadata.NamespaceProperty ?? "", p.Metadata.Name));
                return Targets.Services(await _services.ListAsync(null, cancellationToken), endpoints, (ns, name) => pods.GetValueOrDefault((ns, name)));
            }

            case "apiservers":
            {
                (V1Endpoints? endpoints, V1Service? service) = await ServiceAsync("default", "kubernetes", cancellationToken);
                return endpoints is null ? [] : Targets.Endpoints(endpoints, service, (_, _) => null, p => p.Name == "https", null);
            }

            case "coredns":
            {
                (V1Endpoints? endpoints, V1Service? service) = await ServiceAsync("kube-system", "kube-dns", cancellationToken);
                return endpoints is null || _options.DnsMetricsPort is not { } dnsPort
                    ? []
                    : Targets.Endpoints(endpoints, service, (_, _) => null, _ => true, dnsPort).Select(g => g with { Labels = new Dictionary<string, string>(g.Labels) { [MetaLabels.Component] = "coredns" } });
            }

            default:
            {
                // kube-controller-manager, kube-scheduler
                int? port = role == "kube-scheduler" ? _options.SchedulerSecurePort : _options.ControllerManagerSecurePort;
                return port is { } securePort ? Targets.ControlPlane((await ServiceAsync("default", "kubernetes", cancellationToken)).Endpoints, role, securePort) : [];
            }
        }
    }

    private async Task<(V1Endpoints? Endpoints, V1Service? Service)> ServiceAsync(string ns, string name, CancellationToken cancellationToken)
    {
        V1Endpoints? endpoints = await _endpoints.GetAsync(ns, name, cancellationToken);
        if (ns == "default" && name == "kubernetes" && !(endpoints?.Subsets ?? []).Any(s => s.Addresses is { Count: > 0 }) && ServerAddress is { } self)
        {
            // Published by no API server (this one listens on loopback only): the one answering is reachable where it listens.
            endpoints = new V1Endpoints
            {
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
                Subsets =
                [
                    new V1EndpointSubset
                    {
                        Addresses = [new V1EndpointAddress { Ip = self.Address.ToString(), NodeName = _nodeName }],
                        Ports = [new Corev1EndpointPort { Name = "https", Port = self.Port, Protocol = "TCP" }],
                    },
                ],
            };
        }

        return (endpoints, await _services.GetAsync(ns, name, cancellationToken));
    }
}
