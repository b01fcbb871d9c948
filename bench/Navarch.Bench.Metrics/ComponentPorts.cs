using System.Globalization;

namespace Navarch.Bench.Metrics;

/// <summary>
/// The metrics ports a benchmark server is given, free ones rather than Kubernetes' 10257/10259/9153/10249 so it does
/// not collide with another server on the machine.
/// </summary>
internal sealed record ComponentPorts(int ControllerManager, int Scheduler, int Dns, int Proxy)
{
    /// <summary>The `navarch server` flags that set them.</summary>
    public string[] Arguments =>
    [
        "--kube-controller-manager-secure-port", ControllerManager.ToString(CultureInfo.InvariantCulture),
        "--kube-scheduler-secure-port", Scheduler.ToString(CultureInfo.InvariantCulture),
        "--cluster-dns-metrics-port", Dns.ToString(CultureInfo.InvariantCulture),
        "--kube-proxy-metrics-bind-address", "127.0.0.1:" + Proxy.ToString(CultureInfo.InvariantCulture),
    ];
}
