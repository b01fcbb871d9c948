using System.Net;
using k8s.Models;

namespace Navarch.Dns.Access;

/// <summary>The addresses (<c>status.addresses</c>) and pod CIDRs (<c>spec.podCIDRs</c>) of one Node, or of several.</summary>
internal sealed class NodeNetworks(HashSet<IPAddress> addresses, IReadOnlyList<IPNetwork> podCidrs)
{
    private HashSet<IPAddress> Addresses { get; } = addresses;

    private IReadOnlyList<IPNetwork> PodCidrs { get; } = podCidrs;

    public static NodeNetworks Of(V1Node node)
    {
        var addresses = new HashSet<IPAddress>();
        foreach (V1NodeAddress address in node.Status?.Addresses ?? [])
        {
            // Hostname entries are names, not addresses.
            if (IPAddress.TryParse(address.Address, out IPAddress? ip))
            {
                addresses.Add(ip);
            }
        }

        var cidrs = new List<IPNetwork>();
        foreach (string cidr in (node.Spec?.PodCIDRs ?? []).Append(node.Spec?.PodCIDR ?? ""))
        {
            if (IPNetwork.TryParse(cidr, out IPNetwork network) && !cidrs.Contains(network))
            {
                cidrs.Add(network);
            }
        }

        return new NodeNetworks(addresses, cidrs);
    }

    public static NodeNetworks Union(IEnumerable<NodeNetworks> nodes)
    {
        var addresses = new HashSet<IPAddress>();
        var cidrs = new List<IPNetwork>();
        foreach (NodeNetworks node in nodes)
        {
            addresses.UnionWith(node.Addresses);
            cidrs.AddRange(node.PodCidrs.Where(c => !cidrs.Contains(c)));
        }

        return new NodeNetworks(addresses, cidrs);
    }

    public bool Contains(IPAddress address) => Addresses.Contains(address) || PodCidrs.Any(c => c.Contains(address));

    public bool SameAs(NodeNetworks other) => Addresses.SetEquals(other.Addresses) && PodCidrs.SequenceEqual(other.PodCidrs);
}
