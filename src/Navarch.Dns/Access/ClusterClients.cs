using System.Collections.Concurrent;
using System.Net;
using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Dns.Access;

/// <summary>
/// Who the cluster DNS answers — what reaches CoreDNS in Kubernetes through the <c>kube-dns</c> ClusterIP, as an allow
/// list (CoreDNS's <c>acl</c> plugin): the cluster's pod and service networks, every Node's addresses and pod CIDRs (a
/// node's own processes, and pods whose traffic their node masquerades on the way), loopback and this host's own
/// addresses. Anyone else is refused, so the cluster DNS is no open resolver for whoever can reach a node.
/// </summary>
internal sealed class ClusterClients : IResourceEventHandler<V1Node>
{
    /// <summary>How old the list of this host's addresses may be when an unknown client is checked against it.</summary>
    internal static readonly TimeSpan LocalAddressesMaxAge = TimeSpan.FromSeconds(10);

    private readonly IReadOnlyList<IPNetwork> _networks;
    private readonly Func<IEnumerable<IPAddress>> _readLocalAddresses;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, NodeNetworks> _nodes = new(StringComparer.Ordinal);
    private long _nodesVersion;
    private volatile NodesSnapshot? _allNodes;
    private volatile LocalAddresses? _local;

    /// <param name="networks">The cluster's networks (<c>--cluster-cidr</c>, <c>--service-cidr</c>).</param>
    /// <param name="readLocalAddresses">This host's addresses (read again at most every <see cref="LocalAddressesMaxAge"/>, and only for unknown clients).</param>
    /// <param name="time">The clock of that re-reading.</param>
    public ClusterClients(IEnumerable<IPNetwork> networks, Func<IEnumerable<IPAddress>> readLocalAddresses, TimeProvider time)
    {
        _networks = [.. networks];
        _readLocalAddresses = readLocalAddresses;
        _time = time;
    }

    /// <summary>Whether a query from <paramref name="client"/> is answered.</summary>
    public bool Allows(IPAddress client)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (client.IsIPv4MappedToIPv6)
        {
            client = client.MapToIPv4();
        }

        if (IPAddress.IsLoopback(client) || _networks.Any(n => n.Contains(client)))
        {
            return true;
        }

        // The union of the nodes' networks, rebuilt after a change (a change while rebuilding leaves it stale, so rebuilt again).
        long version = Interlocked.Read(ref _nodesVersion);
        NodesSnapshot? nodes = _allNodes;
        if (nodes is null || nodes.Version != version)
        {
            _allNodes = nodes = new NodesSnapshot(version, NodeNetworks.Union(_nodes.Values));
        }

        if (nodes.Networks.Contains(client))
        {
            return true;
        }

        // An address of this host that none of the above covers (a server without an agent, another interface): read
        // again when stale, so an address added since is known, but never more often than the max age.
        LocalAddresses? local = _local;
        DateTimeOffset now = _time.GetUtcNow();
        if (local is null || (!local.Addresses.Contains(client) && now - local.Read >= LocalAddressesMaxAge))
        {
            _local = local = new LocalAddresses([.. _readLocalAddresses().Select(a => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a)], now);
        }

        return local.Addresses.Contains(client);
    }

    public void OnAdd(V1Node obj) => Put(obj);

    public void OnUpdate(V1Node oldObj, V1Node newObj) => Put(newObj);

    public void OnDelete(V1Node obj, bool finalStateUnknown)
    {
        if (_nodes.TryRemove(obj.Metadata.Name, out _))
        {
            Interlocked.Increment(ref _nodesVersion);
        }
    }

    /// <summary>Keeps a node's networks; the union is rebuilt only when they changed (not on every status heartbeat).</summary>
    private void Put(V1Node node)
    {
        NodeNetworks networks = NodeNetworks.Of(node);
        if (!_nodes.TryGetValue(node.Metadata.Name, out NodeNetworks? old) || !old.SameAs(networks))
        {
            _nodes[node.Metadata.Name] = networks;
            Interlocked.Increment(ref _nodesVersion);
        }
    }

    private sealed record NodesSnapshot(long Version, NodeNetworks Networks);

    private sealed record LocalAddresses(HashSet<IPAddress> Addresses, DateTimeOffset Read);
}
