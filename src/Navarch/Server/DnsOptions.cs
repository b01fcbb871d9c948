namespace Navarch.Server;

/// <summary>The cluster DNS a server runs in-process, published as <c>kube-system/kube-dns</c> (as CoreDNS is).</summary>
/// <param name="Bind"><c>--cluster-dns-bind</c>: IP[:port] to listen on; null for the agent's pod bridge address, port 53 (none without an agent).</param>
/// <param name="ClusterIp"><c>--cluster-dns</c>: the kube-dns Service's ClusterIP.</param>
/// <param name="Domain"><c>--cluster-domain</c>.</param>
/// <param name="Upstreams"><c>--dns-upstream</c>: resolvers for names outside the cluster domain.</param>
/// <param name="ClusterNetworks"><c>--cluster-cidr</c> and <c>--service-cidr</c>: clients there are answered (with the nodes and this host).</param>
/// <param name="MetricsPort"><c>--cluster-dns-metrics-port</c>: CoreDNS's metrics port (9153); null serves none.</param>
internal sealed record DnsOptions(string? Bind, string ClusterIp, string Domain, string Upstreams, IReadOnlyList<string> ClusterNetworks, int? MetricsPort = 9153);
