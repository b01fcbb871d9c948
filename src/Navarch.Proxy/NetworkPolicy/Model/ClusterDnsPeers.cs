using k8s.Models;

namespace Navarch.Proxy.NetworkPolicy.Model;

/// <summary>
/// Navarch's cluster DNS is served by the node, not by pods, and published as the <c>kube-system/kube-dns</c> Service
/// with endpoints at the node's address. A policy written for Kubernetes allows DNS with a peer such as
/// <c>namespaceSelector: {kubernetes.io/metadata.name: kube-system}, podSelector: {k8s-app: kube-dns}</c>; so that
/// such a policy means the same here, each kube-dns endpoint address that is no pod's stands for a pod of
/// <c>kube-system</c> with the slice's labels (the Service's, <c>k8s-app=kube-dns</c>) and its named ports
/// (<c>dns</c>, <c>dns-tcp</c>) — a peer only, never isolated.
/// </summary>
internal static class ClusterDnsPeers
{
    /// <summary>The namespace of the kube-dns Service.</summary>
    public const string Namespace = "kube-system";

    /// <summary>The label selector of its EndpointSlices.</summary>
    public const string SliceSelector = "kubernetes.io/service-name=kube-dns";

    private static readonly HashSet<string> SliceOnlyLabels = new(StringComparer.Ordinal) { "kubernetes.io/service-name", "endpointslice.kubernetes.io/managed-by" };

    /// <summary>The stand-ins for the endpoints of <paramref name="slices"/> that are not in <paramref name="podIps"/>.</summary>
    public static IEnumerable<PodEndpoint> From(IEnumerable<V1EndpointSlice> slices, IReadOnlySet<uint> podIps)
    {
        foreach (V1EndpointSlice slice in slices)
        {
            if (slice.AddressType != "IPv4" || slice.Metadata?.NamespaceProperty != Namespace)
            {
                continue;
            }

            var labels = (slice.Metadata.Labels ?? new Dictionary<string, string>())
                .Where(l => !SliceOnlyLabels.Contains(l.Key))
                .ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal);
            List<ContainerPortInfo> ports = (slice.Ports ?? [])
                .Where(p => !string.IsNullOrEmpty(p.Name) && p.Port is not null)
                .Select(p => new ContainerPortInfo(p.Name, p.Protocol ?? "TCP", p.Port!.Value))
                .ToList();
            foreach (V1Endpoint endpoint in slice.Endpoints ?? [])
            {
                foreach (string address in endpoint.Addresses ?? [])
                {
                    if (IpRange.ParseAddress(address) is { } ip && !podIps.Contains(ip))
                    {
                        yield return new PodEndpoint(Namespace, $"{slice.Metadata.Name}/{address}", labels, ip, endpoint.NodeName, ports, PeerOnly: true);
                    }
                }
            }
        }
    }
}
