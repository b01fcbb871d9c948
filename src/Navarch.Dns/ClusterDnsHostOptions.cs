namespace Navarch.Dns;

/// <summary>Where <see cref="ClusterDnsHost"/> runs the cluster DNS, and for whom (the flags of <c>navarch server</c> and <c>navarch dns</c>).</summary>
public sealed record ClusterDnsHostOptions
{
    /// <summary>
    /// <c>--cluster-dns-bind</c>: <c>IP[:port]</c> to listen on; null for the address of <see cref="PodBridge"/> (the
    /// node's pod network gateway) on <see cref="Port"/>.
    /// </summary>
    public string? Bind { get; init; }

    /// <summary>The agent's pod bridge (<c>--bridge-name</c>), when an agent runs in this process's network namespace.</summary>
    public string? PodBridge { get; init; }

    /// <summary>The port when <see cref="Bind"/> names none (53).</summary>
    public int Port { get; init; } = 53;

    /// <summary>This machine's Node, when an agent runs here: the published endpoint's node.</summary>
    public string? NodeName { get; init; }

    /// <summary>The kube-dns Service's ClusterIP (the kubelet's <c>--cluster-dns</c>).</summary>
    public required string ClusterIp { get; init; }

    /// <summary>The cluster domain.</summary>
    public string Domain { get; init; } = "cluster.local";

    /// <summary>Upstream resolvers (<c>IP[:port]</c> list, or a resolv.conf path).</summary>
    public string Upstreams { get; init; } = "/etc/resolv.conf";

    /// <summary>The cluster's networks whose clients are answered: <c>--cluster-cidr</c> and <c>--service-cidr</c> (each may be a comma list).</summary>
    public IReadOnlyList<string> ClusterNetworks { get; init; } = [];

    /// <summary>The port CoreDNS's metrics are served on (9153 in a cluster); null serves none.</summary>
    public int? MetricsPort { get; init; } = 9153;
}
