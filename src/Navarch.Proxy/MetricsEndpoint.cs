using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Navarch.Proxy;

/// <summary>
/// kube-proxy's metrics endpoint: plain HTTP on its --metrics-bind-address (127.0.0.1:10249 by default), <c>/metrics</c>
/// only. A port already taken (another proxy on this machine) is logged and costs only the metrics.
/// </summary>
internal sealed partial class MetricsEndpoint : IAsyncDisposable
{
    private readonly MetricServer _server;

    private MetricsEndpoint(MetricServer server) => _server = server;

    public static MetricsEndpoint? Start(IPEndPoint? bind, CollectorRegistry registry, ILogger logger)
    {
        if (bind is null)
        {
            return null;
        }

        var server = new MetricServer(ListenerHost(bind.Address), bind.Port, "metrics/", registry);
        try
        {
            server.Start();
            return new MetricsEndpoint(server);
        }
        catch (HttpListenerException e)
        {
            LogPortFailed(logger, bind.Port, e.Message);
            return null;
        }
    }

    /// <summary>
    /// The host of the listener's prefix: HttpListener matches a request's Host against it, so every address
    /// (0.0.0.0 or ::) is its wildcard "+" rather than the literal address no client names.
    /// </summary>
    private static string ListenerHost(IPAddress address) =>
        address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? "+"
        : address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]"
        : address.ToString();

    public async ValueTask DisposeAsync() => await _server.StopAsync().ConfigureAwait(false);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The proxy serves no metrics on port {Port}: {Error}")]
    private static partial void LogPortFailed(ILogger logger, int port, string error);
}
