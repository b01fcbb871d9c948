using k8s;
using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Controllers.ServiceLb;

/// <summary>
/// A load balancer for bare nodes, as k3s' ServiceLB without its per-Service DaemonSet: every Service of type
/// LoadBalancer with no spec.loadBalancerClass gets status.loadBalancer.ingress set to the InternalIPs of the Ready
/// nodes, and each node's proxy accepts traffic to those addresses on the Service port. A Service that is no longer
/// of type LoadBalancer has the ingress it was given removed.
/// </summary>
public sealed class ServiceLbController : QueueController
{
    private readonly Informer<V1Service> _services;
    private readonly Informer<V1Node> _nodes;

    /// <summary>Creates the controller over the shared Service and Node informers.</summary>
    public ServiceLbController(ControllerContext context)
        : base("servicelb", context)
    {
        _services = context.Informers.Get<V1Service>();
        _nodes = context.Informers.Get<V1Node>();
        _services.AddHandler(new ResourceEventHandler<V1Service>(Enqueue));
        _nodes.AddHandler(new ResourceEventHandler<V1Node>(_ =>
        {
            foreach (V1Service service in _services.Store.List().Where(s => s.Spec?.Type == "LoadBalancer"))
            {
                Enqueue(service);
            }
        }));
    }

    /// <inheritdoc />
    public override async Task RunAsync(int workers, CancellationToken cancellationToken)
    {
        await _nodes.WaitForSyncAsync(cancellationToken).ConfigureAwait(false);
        await base.RunAsync(workers, cancellationToken).ConfigureAwait(false);
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

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
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
            copy => Client.CoreV1.ReplaceNamespacedServiceStatusAsync(copy, service.Metadata.Name, service.Metadata.NamespaceProperty, cancellationToken: cancellationToken),
            Queue, key, goneIsDone: true).ConfigureAwait(false);
    }
}
