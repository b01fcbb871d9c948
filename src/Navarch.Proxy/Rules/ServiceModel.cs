using k8s.Models;

namespace Navarch.Proxy.Rules;

/// <summary>Turns Services and their EndpointSlices (discovery.k8s.io/v1) into what the rules are made from.</summary>
internal static class ServiceModel
{
    /// <summary>The label that ties an EndpointSlice to its Service.</summary>
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    /// <summary>
    /// Every proxied Service port with its endpoints, in a stable order. Headless and ExternalName Services, and
    /// ports of a protocol the proxy does not know, are left out.
    /// </summary>
    public static List<ServicePortEndpoints> Build(IEnumerable<V1Service> services, IEnumerable<V1EndpointSlice> slices, string nodeName)
    {
        var slicesByService = slices
            .Where(s => s.AddressType == "IPv4" && s.Metadata.Labels?.TryGetValue(ServiceNameLabel, out _) == true)
            .GroupBy(s => $"{s.Metadata.NamespaceProperty}/{s.Metadata.Labels![ServiceNameLabel]}", StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var result = new List<ServicePortEndpoints>();
        foreach (V1Service service in services.OrderBy(s => s.Metadata.NamespaceProperty, StringComparer.Ordinal).ThenBy(s => s.Metadata.Name, StringComparer.Ordinal))
        {
            V1ServiceSpec? spec = service.Spec;
            if (spec is null || spec.Type == "ExternalName" || string.IsNullOrEmpty(spec.ClusterIP) || spec.ClusterIP == "None" || spec.Ports is null)
            {
                continue;
            }

            List<V1EndpointSlice> serviceSlices = slicesByService.GetValueOrDefault($"{service.Metadata.NamespaceProperty}/{service.Metadata.Name}") ?? [];
            bool external = spec.Type is "NodePort" or "LoadBalancer";
            int? affinity = spec.SessionAffinity == "ClientIP"
                ? spec.SessionAffinityConfig?.ClientIP?.TimeoutSeconds ?? 10800
                : null;
            List<string> lbIps = spec.Type == "LoadBalancer"
                ? (service.Status?.LoadBalancer?.Ingress ?? []).Select(i => i.Ip).Where(ip => !string.IsNullOrEmpty(ip)).Distinct(StringComparer.Ordinal).ToList()
                : [];
            foreach (V1ServicePort port in spec.Ports)
            {
                string protocol = string.IsNullOrEmpty(port.Protocol) ? "TCP" : port.Protocol;
                if (protocol is not ("TCP" or "UDP" or "SCTP"))
                {
                    continue;
                }

                var info = new ServicePortInfo(service.Metadata.NamespaceProperty, service.Metadata.Name, port.Name ?? "", protocol, spec.ClusterIP, port.Port)
                {
                    NodePort = external ? port.NodePort ?? 0 : 0,
                    ExternalIps = spec.ExternalIPs?.ToList() ?? [],
                    LoadBalancerIps = lbIps,
                    AffinitySeconds = affinity,
                    ExternalPolicyLocal = external && spec.ExternalTrafficPolicy == "Local",
                    InternalPolicyLocal = spec.InternalTrafficPolicy == "Local",
                };
                result.Add(new ServicePortEndpoints(info, Endpoints(serviceSlices, info, nodeName)));
            }
        }

        return result;
    }

    private static List<EndpointInfo> Endpoints(List<V1EndpointSlice> slices, ServicePortInfo port, string nodeName)
    {
        var byAddress = new SortedDictionary<string, EndpointInfo>(StringComparer.Ordinal);
        foreach (V1EndpointSlice slice in slices)
        {
            // A slice port matches a Service port by name and protocol (an unnamed port has an empty name).
            Discoveryv1EndpointPort? slicePort = slice.Ports?.FirstOrDefault(p => (p.Name ?? "") == port.PortName && (p.Protocol ?? "TCP") == port.Protocol);
            if (slicePort?.Port is not int targetPort)
            {
                continue;
            }

            foreach (V1Endpoint endpoint in slice.Endpoints ?? [])
            {
                if (endpoint.Addresses is not { Count: > 0 })
                {
                    continue;
                }

                bool ready = endpoint.Conditions?.Ready ?? true;
                var info = new EndpointInfo(
                    endpoint.Addresses[0],
                    targetPort,
                    ready,
                    endpoint.Conditions?.Serving ?? ready,
                    endpoint.Conditions?.Terminating ?? false,
                    endpoint.NodeName == nodeName);
                byAddress.TryAdd(info.Address, info);
            }
        }

        return byAddress.Values.ToList();
    }
}
