using System.Net;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Navarch.Proxy;

/// <summary>
/// kube-proxy's metrics endpoint: plain HTTP on 127.0.0.1 (its default --metrics-bind-address), <c>/metrics</c> only.
/// A port already taken (another proxy on this machine) is logged and costs only the metrics.
/// </summary>
internal sealed partial class MetricsEndpoint : IAsyncDisposable
{
    private readonly MetricServer _server;

    private MetricsEndpoint(MetricServer server) => _server = server;

    public static MetricsEndpoint? Start(int? port, CollectorRegistry registry, ILogger logger)
    {
        if (port is not { } metricsPort)
        {
            return null;
        }

        var server = new MetricServer("127.0.0.1", metricsPort, "metrics/", registry);
        try
        {
            server.Start();
            return new MetricsEndpoint(server);
        }
        catch (HttpListenerException e)
        {
            LogPortFailed(logger, metricsPort, e.Message);
            return null;
        }
    }

    public async ValueTask DisposeAsync() => await _server.StopAsync().ConfigureAwait(false);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The proxy serves no metrics on port {Port}: {Error}")]
    private static partial void LogPortFailed(ILogger logger, int port, string error);
}
