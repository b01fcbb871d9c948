using System.CommandLine;
using Navarch.ApiServer.PrometheusDiscovery;

namespace Navarch.Commands;

/// <summary>
/// Where the server's in-process components serve their metrics: kube-controller-manager's and kube-scheduler's
/// <c>--secure-port</c> (10257 and 10259, HTTPS with delegated authentication; 0 serves none, as theirs) and the
/// cluster DNS's plain-HTTP metrics port (CoreDNS's prometheus plugin, 9153; 0 serves none). k3s passes these through
/// <c>--kube-controller-manager-arg=secure-port=...</c> and <c>--kube-scheduler-arg=secure-port=...</c>.
/// </summary>
internal sealed class ComponentMetricsFlags
{
    private readonly Option<int> _controllerManager = Port("--kube-controller-manager-secure-port", "kube-controller-manager's HTTPS port for /metrics and its health checks (0 serves none)", 10257);
    private readonly Option<int> _scheduler = Port("--kube-scheduler-secure-port", "kube-scheduler's HTTPS port for /metrics and its health checks (0 serves none)", 10259);
    private readonly Option<int> _dns = DnsMetricsPortOption("--cluster-dns-metrics-port");

    public void AddTo(Command command)
    {
        command.Options.Add(_controllerManager);
        command.Options.Add(_scheduler);
        command.Options.Add(_dns);
    }

    /// <summary><c>--kube-controller-manager-secure-port</c>, null for 0.</summary>
    public int? ControllerManagerSecurePort(ParseResult parse) => Served(parse.GetValue(_controllerManager));

    /// <summary><c>--kube-scheduler-secure-port</c>, null for 0.</summary>
    public int? SchedulerSecurePort(ParseResult parse) => Served(parse.GetValue(_scheduler));

    /// <summary><c>--cluster-dns-metrics-port</c>, null for 0.</summary>
    public int? DnsMetricsPort(ParseResult parse) => Served(parse.GetValue(_dns));

    /// <summary>
    /// The ports Prometheus discovery points at: these, and the proxy's <paramref name="proxyMetricsPort"/> (the
    /// cluster's nodes are taken to serve them where this server does).
    /// </summary>
    public PrometheusDiscoveryOptions Discovery(ParseResult parse, int? proxyMetricsPort) => new()
    {
        ControllerManagerSecurePort = ControllerManagerSecurePort(parse),
        SchedulerSecurePort = SchedulerSecurePort(parse),
        ProxyMetricsPort = proxyMetricsPort,
        DnsMetricsPort = DnsMetricsPort(parse),
    };

    /// <summary>The cluster DNS's metrics port flag, here and on <c>navarch dns</c> (<c>--metrics-port</c>).</summary>
    public static Option<int> DnsMetricsPortOption(string name) =>
        Port(name, "The cluster DNS's plain-HTTP /metrics port, on every address as CoreDNS's prometheus plugin (0 serves none)", 9153);

    /// <summary>A port flag's value as a component takes it: null for 0, which serves none.</summary>
    public static int? Served(int port) => port == 0 ? null : port;

    private static Option<int> Port(string name, string description, int port)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => port };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is var value and (< 0 or > 65535))
            {
                result.AddError($"{name}: {value} must be between 0 and 65535, inclusive");
            }
        });
        return option;
    }
}
