using System.Net;
using System.Net.Sockets;
using k8s;
using Microsoft.Extensions.Logging;
using Navarch.Server;

namespace Navarch.Cli.Tests;

/// <summary>
/// The metrics ports of the in-process kube-controller-manager and kube-scheduler (10257/10259): one taken by another
/// process is a warning naming it, and the server starts on without it; a free one serves.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SecurePortsTests
{
    [Fact]
    public async Task A_taken_port_is_a_warning_not_a_failure()
    {
        using var taken = new TcpListener(IPAddress.Any, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var logs = new WarningLog();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = "https://127.0.0.1:1" });

        await using var server = await SecurePorts.StartAsync("kube-scheduler", port, client, Prometheus.Metrics.NewCustomRegistry(), loggers, CancellationToken.None);

        Assert.Null(server);
        string warning = Assert.Single(logs.Warnings);
        Assert.StartsWith($"kube-scheduler does not serve its secure port {port}: ", warning, StringComparison.Ordinal);
        Assert.Contains("address already in use", warning, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_free_port_serves()
    {
        var logs = new WarningLog();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = "https://127.0.0.1:1" });
        await using var server = await SecurePorts.StartAsync("kube-controller-manager", 0, client, Prometheus.Metrics.NewCustomRegistry(), loggers, CancellationToken.None);
        Assert.NotNull(server);
        Assert.NotEqual(0, server.Port);
        Assert.Empty(logs.Warnings);
    }

    /// <summary>Collects the warnings logged.</summary>
    private sealed class WarningLog : ILoggerProvider, ILogger
    {
        public List<string> Warnings { get; } = [];

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                lock (Warnings)
                {
                    Warnings.Add(formatter(state, exception));
                }
            }
        }

        public void Dispose()
        {
        }
    }
}
