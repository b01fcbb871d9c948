using System.CommandLine;
using System.Net;
using Navarch.ApiServer.PrometheusDiscovery;
using Navarch.Commands;

namespace Navarch.Cli.Tests;

/// <summary>
/// Where the server's components serve their metrics: Kubernetes' ports by default, any port given, 0 for none (the
/// Prometheus discovery then names none), and a bad value refused at parse time.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ComponentMetricsFlagsTests
{
    private static (ParseResult Parse, ComponentMetricsFlags Flags, ProxyCommand.AgentFlags Proxy) Parse(params string[] args)
    {
        var flags = new ComponentMetricsFlags();
        var proxy = new ProxyCommand.AgentFlags();
        var command = new RootCommand();
        flags.AddTo(command);
        proxy.AddTo(command);
        return (command.Parse(args), flags, proxy);
    }

    [Fact]
    public void By_default_the_ports_are_kubernetes_ones()
    {
        (ParseResult parse, ComponentMetricsFlags flags, ProxyCommand.AgentFlags proxy) = Parse();
        Assert.Empty(parse.Errors);
        Assert.Equal(new PrometheusDiscoveryOptions(), flags.Discovery(parse, proxy.MetricsPort(parse)));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 10249), proxy.Options(parse, "n", "10.42.0.0/16")!.MetricsBindAddress);
    }

    [Fact]
    public void Given_ports_are_served_and_discovered()
    {
        (ParseResult parse, ComponentMetricsFlags flags, ProxyCommand.AgentFlags proxy) = Parse(
            "--kube-controller-manager-secure-port", "20257", "--kube-scheduler-secure-port", "20259", "--cluster-dns-metrics-port", "29153", "--kube-proxy-metrics-bind-address", "0.0.0.0:20249");
        Assert.Empty(parse.Errors);
        Assert.Equal(((int?)20257, (int?)20259, (int?)29153), (flags.ControllerManagerSecurePort(parse), flags.SchedulerSecurePort(parse), flags.DnsMetricsPort(parse)));
        Assert.Equal(new IPEndPoint(IPAddress.Any, 20249), proxy.Options(parse, "n", "10.42.0.0/16")!.MetricsBindAddress);
        Assert.Equal(
            new PrometheusDiscoveryOptions { ControllerManagerSecurePort = 20257, SchedulerSecurePort = 20259, ProxyMetricsPort = 20249, DnsMetricsPort = 29153 },
            flags.Discovery(parse, proxy.MetricsPort(parse)));
    }

    [Fact]
    public void Zero_and_empty_serve_none()
    {
        (ParseResult parse, ComponentMetricsFlags flags, ProxyCommand.AgentFlags proxy) = Parse(
            "--kube-controller-manager-secure-port", "0", "--kube-scheduler-secure-port", "0", "--cluster-dns-metrics-port", "0", "--kube-proxy-metrics-bind-address", "");
        Assert.Empty(parse.Errors);
        Assert.Null(proxy.Options(parse, "n", "10.42.0.0/16")!.MetricsBindAddress);
        Assert.Equal(
            new PrometheusDiscoveryOptions { ControllerManagerSecurePort = null, SchedulerSecurePort = null, ProxyMetricsPort = null, DnsMetricsPort = null },
            flags.Discovery(parse, proxy.MetricsPort(parse)));
    }

    [Theory]
    [InlineData("--kube-controller-manager-secure-port", "65536", "--kube-controller-manager-secure-port: 65536 must be between 0 and 65535, inclusive")]
    [InlineData("--kube-scheduler-secure-port", "-1", "--kube-scheduler-secure-port: -1 must be between 0 and 65535, inclusive")]
    [InlineData("--kube-proxy-metrics-bind-address", "127.0.0.1", "--kube-proxy-metrics-bind-address: '127.0.0.1' is not an IP:port such as 127.0.0.1:10249 or 0.0.0.0:10249")]
    [InlineData("--kube-proxy-metrics-bind-address", "localhost:10249", "--kube-proxy-metrics-bind-address: 'localhost:10249' is not an IP:port such as 127.0.0.1:10249 or 0.0.0.0:10249")]
    public void A_bad_value_is_refused(string flag, string value, string error)
    {
        (ParseResult parse, _, _) = Parse(flag, value);
        Assert.Contains(parse.Errors, e => e.Message == error);
    }

    [Fact]
    public void An_IPv6_bind_address_takes_brackets()
    {
        (ParseResult parse, _, ProxyCommand.AgentFlags proxy) = Parse("--kube-proxy-metrics-bind-address", "[::]:10249");
        Assert.Empty(parse.Errors);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Any, 10249), proxy.Options(parse, "n", "10.42.0.0/16")!.MetricsBindAddress);
    }
}
