namespace Navarch.Proxy;

/// <summary>Settings of a node's proxy (kube-proxy's flags that Navarch keeps).</summary>
public sealed class ProxyOptions
{
    /// <summary>This node's name: endpoints on it are local (externalTrafficPolicy / internalTrafficPolicy Local).</summary>
    public string NodeName { get; init; } = Environment.MachineName.ToLowerInvariant();

    /// <summary>
    /// The prefix of every chain the proxy owns (<c>NAVARCH-SERVICES</c>, <c>NAVARCH-SVC-…</c>). Tests use their own
    /// so several proxies share one kernel; at most 10 characters so hashed chain names stay within 28.
    /// </summary>
    public string ChainPrefix { get; init; } = "NAVARCH-";

    /// <summary>The pod network (k3s' --cluster-cidr): traffic from outside it to a ClusterIP is masqueraded.</summary>
    public string ClusterCidr { get; init; } = "10.42.0.0/16";

    /// <summary>The packet mark bit that asks for SNAT (kube-proxy's --iptables-masquerade-bit, 14 → 0x4000).</summary>
    public int MasqueradeBit { get; init; } = 14;

    /// <summary>Changes closer together than this are applied in one sync (kube-proxy's --iptables-min-sync-period).</summary>
    public TimeSpan MinSyncInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A sync from the caches at least this often even without changes (--iptables-sync-period); it writes only what differs.</summary>
    public TimeSpan SyncPeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A full sync — every owned chain written, owned chains found in the kernel but not wanted deleted, base-chain
    /// jumps repaired — at least this often (kube-proxy's fullSyncPeriod, 1 h): with iptables-nft a full write of
    /// thousands of chains takes minutes.
    /// </summary>
    public TimeSpan FullSyncPeriod { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Run every command (iptables, conntrack, sysctl, ip) inside this named network namespace (tests, benchmarks).</summary>
    public string? NetworkNamespace { get; init; }

    /// <summary>Keep routes to other nodes' pod CIDRs through their InternalIPs (flannel's host-gw).</summary>
    public bool ManageRoutes { get; init; } = true;

    /// <summary>Set ip_forward, br_netfilter and bridge-nf-call-iptables at start.</summary>
    public bool ConfigureKernel { get; init; } = true;

    /// <summary>The mark as iptables writes it, e.g. <c>0x4000</c>.</summary>
    internal string MasqueradeMark => $"0x{1 << MasqueradeBit:x}";

    /// <summary>
    /// Where kube-proxy's plain-HTTP /metrics is served (its --metrics-bind-address, 127.0.0.1:10249 by default;
    /// 0.0.0.0 or :: for every address); null serves none.
    /// </summary>
    public System.Net.IPEndPoint? MetricsBindAddress { get; init; }
}
