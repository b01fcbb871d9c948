using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Client.Informers;
using Navarch.Controllers.Endpoints;

namespace Navarch.Controllers.EndpointSlice;

/// <summary>
/// Keeps each selector Service's discovery.k8s.io/v1 EndpointSlices listing the pods it selects, the way
/// kube-controller-manager's endpointslice controller does: one endpoint per pod with an IP of the slice's address
/// type, with ready/serving/terminating conditions, node name, zone (from the node's topology label) and pod
/// reference; pods resolving different port sets go to different slices; at most <c>maxEndpointsPerSlice</c>
/// endpoints per slice. Slices are labelled with the Service name and this controller, owned by the Service (the
/// garbage collector removes them with it), named <c>&lt;service&gt;-</c> plus a suffix, and updated in place.
/// </summary>
public sealed class EndpointSliceController : QueueController
{
    /// <summary>kube-controller-manager's --max-endpoints-per-slice default.</summary>
    public const int DefaultMaxEndpointsPerSlice = 100;

    private const string ZoneLabel = "topology.kubernetes.io/zone";

    private readonly Informer<V1Service> _services;
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1EndpointSlice> _slices;
    private readonly Informer<V1Node> _nodes;
    private readonly EndpointSliceTracker _tracker;
    private readonly EndpointSliceReconciler _reconciler;

    /// <summary>Creates the controller over the shared Service, Pod, EndpointSlice and Node informers.</summary>
    public EndpointSliceController(ControllerContext context, int maxEndpointsPerSlice = DefaultMaxEndpointsPerSlice)
        : base("endpointslice", context)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEndpointsPerSlice, 1);
        _services = context.Informers.Get<V1Service>();
        _pods = context.Informers.Get<V1Pod>();
        _slices = context.Informers.Get<V1EndpointSlice>();
        _nodes = context.Informers.Get<V1Node>();
        _tracker = new EndpointSliceTracker(_slices.Store, Time);
        _reconciler = new EndpointSliceReconciler(maxEndpointsPerSlice);
        _services.AddHandler(new ResourceEventHandler<V1Service>(Enqueue));
        _pods.AddHandler(new ResourceEventHandler<V1Pod>
        {
            AddFunc = pod => EnqueueServicesOf(null, pod),
            UpdateFunc = (old, pod) =>
            {
                if (old.Metadata.ResourceVersion != pod.Metadata.ResourceVersion)
                {
                    EnqueueServicesOf(old, pod);
                }
            },
            DeleteFunc = (pod, _) => EnqueueServicesOf(null, pod),
        });
        _slices.AddHandler(new ResourceEventHandler<V1EndpointSlice>
        {
            AddFunc = slice => SliceChanged(null, slice, deleted: false),
            UpdateFunc = (old, slice) => SliceChanged(old, slice, deleted: false),
            DeleteFunc = (slice, _) => SliceChanged(null, slice, deleted: true),
        });
    }

    private void EnqueueServicesOf(V1Pod? old, V1Pod pod)
    {
        foreach (string key in EndpointUtil.ServicesOf(_services.Store, old, pod))
        {
            Queue.Add(key);
        }
    }

    /// <summary>A managed slice changed: the tracker learns of the write, and its Service (old and new) is looked at again.</summary>
    private void SliceChanged(V1EndpointSlice? old, V1EndpointSlice slice, bool deleted)
    {
        V1EndpointSlice[] versions = old is null ? [slice] : [old, slice];
        foreach (V1EndpointSlice version in versions)
        {
            if (ServiceKeyOf(version) is { } key)
            {
                _tracker.Observed(key, slice, deleted);
                Queue.Add(key);
            }
        }
    }

    private static string? ServiceKeyOf(V1EndpointSlice slice) =>
        slice.Metadata.Labels is { } labels && labels.TryGetValue(EndpointSliceReconciler.ManagedByLabel, out string? manager)
        && manager == EndpointSliceReconciler.ControllerName && labels.TryGetValue(EndpointSliceReconciler.ServiceNameLabel, out string? service)
        && !string.IsNullOrEmpty(service)
            ? $"{slice.Metadata.NamespaceProperty}/{service}"
            : null;

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        V1Service? service = _services.Store.Get(key);
        if (service is null)
        {
            // Its slices are owned by it: the garbage collector deletes them.
            _tracker.Forget(key);
            return;
        }

        if (!EndpointUtil.IsManaged(service))
        {
            return;
        }

        if (_tracker.IsStale(key))
        {
            // The informer will deliver the writes still unseen, and with them this key; look again anyway.
            Log.StaleCache(Logger, key);
            Queue.AddAfter(key, TimeSpan.FromSeconds(1));
            return;
        }

        string ns = service.Metadata.NamespaceProperty;
        List<V1EndpointSlice> existing = _slices.Store.List(ns)
            .Where(s => ServiceKeyOf(s) == key && s.Metadata.DeletionTimestamp is null)
            .ToList();
        List<string> addressTypes = (service.Spec.IpFamilies ?? []).Where(f => f is "IPv4" or "IPv6").Distinct(StringComparer.Ordinal).ToList();
        if (addressTypes.Count == 0)
        {
            addressTypes.Add(service.Spec.ClusterIP is { Length: > 0 } ip && ip != "None" && EndpointUtil.IsIPv6(ip) ? "IPv6" : "IPv4");
        }

        SlicePlan plan = _reconciler.Reconcile(service, addressTypes, Desired(service, addressTypes), existing);
        if (plan.IsEmpty)
        {
            return;
        }

        await ApplyAsync(key, ns, plan, cancellationToken);
        Log.Reconciled(Logger, key, plan.Create.Count, plan.Update.Count, plan.Delete.Count);
    }

    /// <summary>The Service's desired endpoints: address type → port-set key → endpoints, pods in name order.</summary>
    private Dictionary<string, Dictionary<string, EndpointGroup>> Desired(V1Service service, List<string> addressTypes)
    {
        var desired = addressTypes.ToDictionary(t => t, _ => new Dictionary<string, EndpointGroup>(StringComparer.Ordinal), StringComparer.Ordinal);
        bool publishNotReady = service.Spec.PublishNotReadyAddresses == true;
        IEnumerable<V1Pod> pods = _pods.Store.List(service.Metadata.NamespaceProperty)
            .Where(p => EndpointUtil.Selects(service, p.Metadata.Labels) && EndpointUtil.ShouldPodBeInEndpoints(p, includeTerminating: true))
            .OrderBy(p => p.Metadata.Name, StringComparer.Ordinal);
        foreach (V1Pod pod in pods)
        {
            var ports = new List<Discoveryv1EndpointPort>();
            foreach (V1ServicePort servicePort in service.Spec.Ports ?? [])
            {
                if (EndpointUtil.FindPort(pod, servicePort) is { } number)
                {
                    ports.Add(new Discoveryv1EndpointPort { Name = servicePort.Name ?? "", Port = number, Protocol = servicePort.Protocol ?? "TCP", AppProtocol = servicePort.AppProtocol });
                }
            }

            string portsKey = EndpointSliceReconciler.PortsKey(ports);
            bool serving = EndpointUtil.IsPodReady(pod);
            bool terminating = pod.Metadata.DeletionTimestamp is not null;
            string? nodeName = string.IsNullOrEmpty(pod.Spec?.NodeName) ? null : pod.Spec.NodeName;
            string? zone = nodeName is not null && _nodes.Store.Get(nodeName)?.Metadata.Labels is { } nodeLabels
                && nodeLabels.TryGetValue(ZoneLabel, out string? z) && z.Length > 0 ? z : null;
            foreach (string addressType in addressTypes)
            {
                if (EndpointUtil.PodIpOfFamily(pod, addressType) is not { } ip)
                {
                    continue;
                }

                var endpoint = new V1Endpoint
                {
                    Addresses = [ip],
                    Conditions = new V1EndpointConditions { Ready = publishNotReady || (serving && !terminating), Serving = serving, Terminating = terminating },
                    Hostname = EndpointUtil.ShouldSetHostname(pod, service) ? pod.Spec!.Hostname : null,
                    NodeName = nodeName,
                    Zone = zone,
                    TargetRef = EndpointUtil.PodReference(pod),
                };
                Dictionary<string, EndpointGroup> groups = desired[addressType];
                if (!groups.TryGetValue(portsKey, out EndpointGroup? group))
                {
                    groups[portsKey] = group = new EndpointGroup(ports);
                }

                group.Endpoints.TryAdd(EndpointSliceReconciler.KeyOf(endpoint), endpoint);
            }
        }

        return desired;
    }

    /// <summary>Creates, then updates, then deletes, telling the tracker of each write so the next sync waits for the cache.</summary>
    private async Task ApplyAsync(string key, string ns, SlicePlan plan, CancellationToken cancellationToken)
    {
        foreach (V1EndpointSlice slice in plan.Create)
        {
            try
            {
                V1EndpointSlice created = await Client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(slice, ns, cancellationToken: cancellationToken);
                _tracker.ExpectWrite(key, created);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden && e.Response.Content.Contains("being terminated", StringComparison.Ordinal))
            {
                // The namespace is going away; so will the Service.
                return;
            }
        }

        foreach (V1EndpointSlice slice in plan.Update)
        {
            // A conflict (the cache was behind) surfaces as an error: the key is retried with the newer version.
            V1EndpointSlice updated = await Client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(slice, slice.Metadata.Name, ns, cancellationToken: cancellationToken);
            _tracker.ExpectWrite(key, updated);
        }

        foreach (V1EndpointSlice slice in plan.Delete)
        {
            try
            {
                await Client.DiscoveryV1.DeleteNamespacedEndpointSliceAsync(slice.Metadata.Name, ns,
                    body: new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = slice.Metadata.Uid } }, cancellationToken: cancellationToken);
                _tracker.ExpectDeletion(key, slice);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
            }
        }
    }
}
