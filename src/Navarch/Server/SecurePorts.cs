using System.Net;
using k8s;
using Microsoft.Extensions.Logging;
using Navarch.ApiServer.SecureServing;

namespace Navarch.Server;

/// <summary>
/// The secure ports of the in-process kube-controller-manager (10257) and kube-scheduler (10259), where Kubernetes users
/// scrape them: HTTPS with delegated authentication and authorization through the API server. A port already taken
/// (another server on this machine) is logged and skipped rather than stopping the control plane.
/// </summary>
internal static partial class SecurePorts
{
    public static async Task<SecureMetricsServer?> StartAsync(string component, int? port, IKubernetes client, Prometheus.CollectorRegistry metrics, ILoggerFactory logging, CancellationToken cancellationToken)
    {
        if (port is not { } securePort)
        {
            return null;
        }

        try
        {
            return await SecureMetricsServer.StartAsync(component, IPAddress.Any, securePort, client, metrics, logging, cancellationToken);
        }
        catch (IOException e)
        {
            LogPortTaken(logging.CreateLogger("Navarch.Server"), component, securePort, e.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Component} does not serve its secure port {Port}: {Reason}")]
    private static partial void LogPortTaken(ILogger logger, string component, int port, string reason);
}
