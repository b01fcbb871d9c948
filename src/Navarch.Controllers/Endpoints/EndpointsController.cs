using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Controllers.Endpoints;

/// <summary>
/// Keeps each selector Service's core/v1 Endpoints (named like the Service) listing the pods it selects, the way
/// kube-controller-manager's endpoint controller does: ready pods in <c>addresses</c>, the others in
/// <c>notReadyAddresses</c> (all in <c>addresses</c> with publishNotReadyAddresses, which also keeps terminating pods),
/// ports resolved per pod (a named targetPort through the pod's container ports), addresses grouped into subsets by
/// their port sets, capped at 1000 addresses. Services without a selector are left to their users; the Endpoints of
/// a deleted Service are deleted.
/// </summary>
public sealed class EndpointsController : QueueController
{
    /// <summary>Kubernetes' maxCapacity: more addresses than this are truncated and the Endpoints annotated.</summary>
    public const int MaxCapacity = 1000;

    private const string OverCapacityAnnotation = "endpoints.kubernetes.io/over-capacity";
    private const string LeaderAnnotation = "control-plane.alpha.kubernetes.io/leader";

    private readonly Informer<V1Service> _services;
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1Endpoints> _endpoints;

    /// <summary>Creates the controller over the shared Service, Pod and Endpoints informers.</summary>
    public EndpointsController(ControllerContext context)
        : base("endpoint", context)
    {
        _services = context.Informers.Get<V1Service>();
        _pods = context.Informers.Get<V1Pod>();
        _endpoints = context.Informers.Get<V1Endpoints>();
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

        // Endpoints deleted behind the controller's back come back; other changes wait for the next sync.
        _endpoints.AddHandler(new ResourceEventHandler<V1Endpoints> { DeleteFunc = (e, _) => Enqueue(e) });
    }

    /// <inheritdoc />
    public override Task RunAsync(int workers, CancellationToken cancellationToken)
    {
        // Kubernetes' checkLeftoverEndpoints: Endpoints whose Service went away while no controller ran get deleted.
        foreach (V1Endpoints endpoints in _endpoints.Store.List())
        {
            if (endpoints.Metadata.Annotations?.ContainsKey(LeaderAnnotation) != true)
            {
                Enqueue(endpoints);
            }
        }

        return base.RunAsync(workers, cancellationToken);
    }

    private void EnqueueServicesOf(V1Pod? old, V1Pod pod)
    {
        foreach (string key in EndpointUtil.ServicesOf(_services.Store, old, pod))
        {
            Queue.Add(key);
        }
    }

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        V1Service? service = _services.Store.Get(key);
        string ns = key[..key.IndexOf('/', StringComparison.Ordinal)];
        string name = key[(key.IndexOf('/', StringComparison.Ordinal) + 1)..];
        if (service is null)
        {
            try
            {
                await Client.CoreV1.DeleteNamespacedEndpointsAsync(name, ns, cancellationToken: cancellationToken);
                Log.EndpointsDeleted(Logger, key);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
            }

            return;
        }

        if (!EndpointUtil.IsManaged(service))
        {
            return;
        }

        List<V1EndpointSubset> subsets = Subsets(service);
        int total = subsets.Sum(s => (s.Addresses?.Count ?? 0) + (s.NotReadyAddresses?.Count ?? 0));
        bool overCapacity = total > MaxCapacity;
        if (overCapacity)
        {
            subsets = Truncate(subsets);
            Log.Truncated(Logger, key, MaxCapacity);
        }

        var labels = new Dictionary<string, string>(service.Metadata.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (EndpointUtil.IsHeadless(service))
        {
            labels[EndpointUtil.HeadlessLabel] = "";
        }
        else
        {
            labels.Remove(EndpointUtil.HeadlessLabel);
        }

        V1Endpoints? current = _endpoints.Store.Get(key);
        if (current is not null
            && Navarch.Api.KubernetesSerialization.JsonEquals(current.Subsets ?? [], subsets)
            && SameLabels(current.Metadata.Labels, labels)
            && (current.Metadata.Annotations?.ContainsKey(OverCapacityAnnotation) ?? false) == overCapacity)
        {
            return;
        }

        V1Endpoints desired = current is null
            ? new V1Endpoints { ApiVersion = "v1", Kind = "Endpoints", Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns } }
            : ModelCopies.Copy(current);
        desired.Subsets = subsets;
        desired.Metadata.Labels = labels;
        desired.Metadata.Annotations ??= new Dictionary<string, string>();
        if (overCapacity)
        {
            desired.Metadata.Annotations[OverCapacityAnnotation] = "truncated";
        }
        else
        {
            desired.Metadata.Annotations.Remove(OverCapacityAnnotation);
        }

        if (desired.Metadata.Annotations.Count == 0)
        {
            desired.Metadata.Annotations = null;
        }

        if (current is null)
        {
            try
            {
                await Client.CoreV1.CreateNamespacedEndpointsAsync(desired, ns, cancellationToken: cancellationToken);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden && e.Response.Content.Contains("being terminated", StringComparison.Ordinal))
            {
                // The namespace is going away; so will the Service.
            }
        }
        else
        {
            // A conflict (the cache was behind) surfaces as an error: the key is retried with the newer version.
            await Client.CoreV1.ReplaceNamespacedEndpointsAsync(desired, name, ns, cancellationToken: cancellationToken);
        }
    }

    private static bool SameLabels(IDictionary<string, string>? current, Dictionary<string, string> desired) =>
        (current?.Count ?? 0) == desired.Count && desired.All(kv => current!.TryGetValue(kv.Key, out string? v) && v == kv.Value);

    /// <summary>
    /// The subsets of the Service's endpoints: each selected pod in endpoints contributes its address with the ports
    /// it resolves, then addresses are packed into one subset per distinct port set (Kubernetes' RepackSubsets), in a
    /// stable order so an unchanged set compares equal.
    /// </summary>
    private List<V1EndpointSubset> Subsets(V1Service service)
    {
        bool tolerateUnready = service.Spec.PublishNotReadyAddresses == true;
        string family = AddressFamily(service);
        var bySet = new SortedDictionary<string, V1EndpointSubset>(StringComparer.Ordinal);
        foreach (V1Pod pod in _pods.Store.List(service.Metadata.NamespaceProperty))
        {
            if (!EndpointUtil.Selects(service, pod.Metadata.Labels) || !EndpointUtil.ShouldPodBeInEndpoints(pod, tolerateUnready)
                || EndpointUtil.PodIpOfFamily(pod, family) is not { } ip)
            {
                continue;
            }

            var address = new V1EndpointAddress
            {
                Ip = ip,
                NodeName = string.IsNullOrEmpty(pod.Spec?.NodeName) ? null : pod.Spec.NodeName,
                Hostname = EndpointUtil.ShouldSetHostname(pod, service) ? pod.Spec!.Hostname : null,
                TargetRef = EndpointUtil.PodReference(pod),
            };
            var ports = new List<Corev1EndpointPort>();
            IList<V1ServicePort> servicePorts = service.Spec.Ports ?? [];
            if (servicePorts.Count == 0 && !EndpointUtil.IsHeadless(service))
            {
                continue;
            }

            foreach (V1ServicePort servicePort in servicePorts)
            {
                if (EndpointUtil.FindPort(pod, servicePort) is { } number)
                {
                    ports.Add(new Corev1EndpointPort { Name = servicePort.Name, Port = number, Protocol = servicePort.Protocol ?? "TCP", AppProtocol = servicePort.AppProtocol });
                }
            }

            if (servicePorts.Count > 0 && ports.Count == 0)
            {
                continue;
            }

            ports.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name) is var c && c != 0 ? c : a.Port.CompareTo(b.Port));
            string setKey = string.Join(",", ports.Select(p => $"{p.Name}/{p.Port}/{p.Protocol}/{p.AppProtocol}"));
            if (!bySet.TryGetValue(setKey, out V1EndpointSubset? subset))
            {
                bySet[setKey] = subset = new V1EndpointSubset { Ports = ports.Count == 0 ? null : ports };
            }

            if (tolerateUnready || EndpointUtil.IsPodReady(pod))
            {
                (subset.Addresses ??= []).Add(address);
            }
            else
            {
                (subset.NotReadyAddresses ??= []).Add(address);
            }
        }

        foreach (V1EndpointSubset subset in bySet.Values)
        {
            Sort(subset.Addresses);
            Sort(subset.NotReadyAddresses);
        }

        return bySet.Values.ToList();
    }

    private static void Sort(IList<V1EndpointAddress>? addresses)
    {
        if (addresses is List<V1EndpointAddress> list)
        {
            list.Sort((a, b) => string.CompareOrdinal(a.Ip, b.Ip) is var c && c != 0 ? c : string.CompareOrdinal(a.TargetRef?.Uid, b.TargetRef?.Uid));
        }
    }

    /// <summary>The IP family the Service's endpoints use: its cluster IP's, or for a headless Service its first family.</summary>
    private static string AddressFamily(V1Service service)
    {
        if (service.Spec.ClusterIP is { Length: > 0 } clusterIp && clusterIp != "None")
        {
            return EndpointUtil.IsIPv6(clusterIp) ? "IPv6" : "IPv4";
        }

        return service.Spec.IpFamilies?.FirstOrDefault() == "IPv6" ? "IPv6" : "IPv4";
    }

    /// <summary>Keeps <see cref="MaxCapacity"/> addresses, ready ones first, as Kubernetes' truncateEndpoints does.</summary>
    private static List<V1EndpointSubset> Truncate(List<V1EndpointSubset> subsets)
    {
        int budget = MaxCapacity;
        var kept = subsets.Select(s => new V1EndpointSubset { Ports = s.Ports }).ToList();
        for (int i = 0; i < subsets.Count && budget > 0; i++)
        {
            List<V1EndpointAddress> take = (subsets[i].Addresses ?? []).Take(budget).ToList();
            kept[i].Addresses = take.Count > 0 ? take : null;
            budget -= take.Count;
        }

        for (int i = 0; i < subsets.Count && budget > 0; i++)
        {
            List<V1EndpointAddress> take = (subsets[i].NotReadyAddresses ?? []).Take(budget).ToList();
            kept[i].NotReadyAddresses = take.Count > 0 ? take : null;
            budget -= take.Count;
        }

        return kept.Where(s => s.Addresses is not null || s.NotReadyAddresses is not null).ToList();
    }
}
