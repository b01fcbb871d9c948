using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Navarch.Testing;

namespace Navarch.Proxy.Tests;

/// <summary>
/// kube-proxy's metrics endpoint (--metrics-bind-address): its port taken by another process is a warning and the proxy
/// runs on without it; 0.0.0.0 answers on every address.
/// </summary>
[Trait("Category", "Unit")]
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task A_taken_port_is_a_warning_not_a_failure()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var logger = new WarningLogger();

        await using MetricsEndpoint? endpoint = MetricsEndpoint.Start(new IPEndPoint(IPAddress.Loopback, port), Prometheus.Metrics.NewCustomRegistry(), logger);

        Assert.Null(endpoint);
        Assert.StartsWith($"The proxy serves no metrics on port {port}: ", Assert.Single(logger.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_address_is_served_whatever_address_the_client_names()
    {
        int port = FreePort.Next();
        var registry = Prometheus.Metrics.NewCustomRegistry();
        Prometheus.Metrics.WithCustomRegistry(registry).CreateCounter("kubeproxy_sync_proxy_rules_iptables_total", "syncs").Inc();
        var logger = new WarningLogger();

        await using MetricsEndpoint? endpoint = MetricsEndpoint.Start(new IPEndPoint(IPAddress.Any, port), registry, logger);

        Assert.NotNull(endpoint);
        Assert.Empty(logger.Warnings);
        using var http = new HttpClient();
        Assert.Contains("kubeproxy_sync_proxy_rules_iptables_total 1", await http.GetStringAsync($"http://127.0.0.1:{port}/metrics"), StringComparison.Ordinal);
        Assert.Contains("kubeproxy_sync_proxy_rules_iptables_total 1", await http.GetStringAsync($"http://localhost:{port}/metrics"), StringComparison.Ordinal);
    }

    private sealed class WarningLogger : ILogger
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                Warnings.Add(formatter(state, exception));
            }
        }
    }
}
