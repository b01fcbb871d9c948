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
}
