namespace Navarch.ApiServer.PrometheusDiscovery;

/// <summary>
/// The ports of the components Prometheus discovery points at that the API server cannot read from an object: where
/// every control-plane machine serves the controller manager's and scheduler's metrics, and every node the proxy's and
/// the cluster DNS's. Null leaves that role empty (the component is not run, or serves no metrics).
/// </summary>
public sealed record PrometheusDiscoveryOptions
{
    /// <summary>kube-controller-manager's secure port (10257).</summary>
    public int? ControllerManagerSecurePort { get; init; } = 10257;

    /// <summary>kube-scheduler's secure port (10259).</summary>
    public int? SchedulerSecurePort { get; init; } = 10259;

    /// <summary>kube-proxy's metrics port (10249).</summary>
    public int? ProxyMetricsPort { get; init; } = 10249;

    /// <summary>The cluster DNS's metrics port (CoreDNS's 9153).</summary>
    public int? DnsMetricsPort { get; init; } = 9153;
}
