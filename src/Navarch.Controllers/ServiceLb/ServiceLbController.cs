using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client.Informers;
using Navarch.Client.Queue;

namespace Navarch.Controllers.ServiceLb;

/// <summary>
/// A load balancer for bare nodes, as k3s' ServiceLB without its per-Service DaemonSet: every Service of type
/// LoadBalancer with no spec.loadBalancerClass gets status.loadBalancer.ingress set to the InternalIPs of the Ready
/// nodes, and each node's proxy accepts traffic to those addresses on the Service port. A Service that is no longer
/// of type LoadBalancer has the ingress it was given removed.
/// </summary>
public sealed class ServiceLbController : IController
{
    private readonly Informer<V1Service> _services;
    private readonly Informer<V1Node> _nodes;
    private readonly IKubernetes _client;
    private readonly WorkQueue<string> _queue;
    private readonly ILogger _logger;

    /// <summary>Creates the controller over the shared Service and Node informers.</summary>
    public ServiceLbController(SharedInformerFactory informers, IKubernetes client, TimeProvider time, ILogger<ServiceLbController> logger)
    {
        ArgumentNullException.ThrowIfNull(informers);
        _services = informers.Get<V1Service>();
        _nodes = informers.Get<V1Node>();
        _client = client;
        _logger = logger;
        _queue = new WorkQueue<string>(time);
        _services.AddHandler(new ResourceEventHandler<V1Service>(s => _queue.Add(ObjectKeys.KeyOf(s))));
        _nodes.AddHandler(new ResourceEventHandler<V1Node>(_ =>
        {
            foreach (V1Service service in _services.Store.List().Where(s => s.Spec?.Type == "LoadBalancer"))
            {
                _queue.Add(ObjectKeys.KeyOf(service));
            }
        }));
    }

    /// <inheritdoc />
    public string Name => "servicelb";

    /// <inheritdoc />
    public void Dispose() => _queue.Dispose();

    /// <inheritdoc />
    public async Task RunAsync(int workers, CancellationToken cancellationToken)
    {
        await _nodes.WaitForSyncAsync(cancellationToken).ConfigureAwait(false);
        await ControllerLoop.RunAsync(Name, _queue, workers, SyncAsync, _logger, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The ingress for a LoadBalancer Service: the Ready nodes' InternalIPs, sorted.</summary>
    public static List<V1LoadBalancerIngress> Ingress(IEnumerable<V1Node> nodes) =>
        nodes
            .Where(n => n.Metadata.DeletionTimestamp is null
                        && n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true
                        && n.Spec?.Unschedulable != true)
            .Select(n => n.Status!.Addresses?.FirstOrDefault(a => a.Type == "InternalIP")?.Address)
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(ip => new V1LoadBalancerIngress { Ip = ip, IpMode = "VIP" })
            .ToList();

    private async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        V1Service? service = _services.Store.Get(key);
        if (service is null || !string.IsNullOrEmpty(service.Spec?.LoadBalancerClass))
        {
            return;
        }

        List<V1LoadBalancerIngress> ingress = service.Spec?.Type == "LoadBalancer" ? Ingress(_nodes.Store.List()) : [];
        if (service.Spec?.Type != "LoadBalancer" && service.Status?.LoadBalancer?.Ingress is not { Count: > 0 })
        {
            return;
        }

        var status = new V1LoadBalancerStatus { Ingress = ingress.Count > 0 ? ingress : null };
        await StatusWrites.WriteAsync(service, status, service.Status?.LoadBalancer, (s, lb) => (s.Status ??= new V1ServiceStatus()).LoadBalancer = lb,
            copy => _client.CoreV1.ReplaceNamespacedServiceStatusAsync(copy, service.Metadata.Name, service.Metadata.NamespaceProperty, cancellationToken: cancellationToken),
            _queue, key, goneIsDone: true).ConfigureAwait(false);
    }
}
