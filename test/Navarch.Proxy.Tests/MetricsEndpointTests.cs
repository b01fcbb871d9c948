using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Navarch.Proxy.Tests;

/// <summary>kube-proxy's metrics port (10249): taken by another process, it is a warning and the proxy runs on without it.</summary>
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

        await using MetricsEndpoint? endpoint = MetricsEndpoint.Start(port, Prometheus.Metrics.NewCustomRegistry(), logger);

        Assert.Null(endpoint);
        Assert.StartsWith($"The proxy serves no metrics on port {port}: ", Assert.Single(logger.Warnings), StringComparison.Ordinal);
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
