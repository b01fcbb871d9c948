using System.Net;

namespace Navarch.Dns;

/// <summary>How the cluster DNS server runs.</summary>
public sealed class ClusterDnsOptions
{
    /// <summary>Where to listen, on UDP and TCP alike.</summary>
    public required IPEndPoint Listen { get; init; }

    /// <summary>The cluster domain the server is authoritative for.</summary>
    public string Domain { get; init; } = "cluster.local";

    /// <summary>Resolvers for names outside the cluster domain, tried in order (default: the host's /etc/resolv.conf).</summary>
    public IReadOnlyList<IPEndPoint> Upstreams { get; init; } = ResolvConf.Nameservers("/etc/resolv.conf");

    /// <summary>The TTL of every cluster record, and of the negative answers' SOA (CoreDNS's kubernetes plugin: 5 s).</summary>
    public TimeSpan RecordTtl { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest time a forwarded answer is cached, whatever its TTL (CoreDNS's default Corefile: <c>cache 30</c>).</summary>
    public TimeSpan MaxForwardedTtl { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one upstream gets to answer before the next one is tried.</summary>
    public TimeSpan UpstreamTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How many answers the cache holds (0 turns caching off); CoreDNS's cache holds 9984.</summary>
    public int CacheCapacity { get; init; } = 10_000;

    /// <summary>
    /// The cluster's networks (pod and service CIDRs) whose clients are answered, besides every Node's addresses and
    /// pod CIDRs, loopback and this host's addresses; anyone else is refused (see <c>Access/ClusterClients</c>).
    /// </summary>
    public IReadOnlyList<IPNetwork> ClusterNetworks { get; init; } = [];

    /// <summary>
    /// How many questions may wait on the upstreams at once; more are refused at once (CoreDNS's forward
    /// <c>max_concurrent</c>), so a flood of names cannot pile up sockets and memory.
    /// </summary>
    public int MaxConcurrentForwards { get; init; } = 1000;

    /// <summary>The plain-HTTP port of /metrics (CoreDNS's prometheus plugin, 9153 in a cluster); null serves none.</summary>
    public int? MetricsPort { get; init; }
}
