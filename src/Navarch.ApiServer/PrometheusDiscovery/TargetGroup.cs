namespace Navarch.ApiServer.PrometheusDiscovery;

/// <summary>One entry of Prometheus' HTTP service discovery answer: targets (<c>host:port</c>) sharing labels.</summary>
internal sealed record TargetGroup(IReadOnlyList<string> Targets, IReadOnlyDictionary<string, string> Labels);
