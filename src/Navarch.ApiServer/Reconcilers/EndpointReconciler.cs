using System.Net;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;
using Navarch.Client.Publishing;

namespace Navarch.ApiServer.Reconcilers;

/// <summary>
/// kube-apiserver's endpoint reconciler: points the <c>default/kubernetes</c> Service (its Endpoints and EndpointSlice)
/// at this server's advertise address and port, so pods reach the API at the Service's ClusterIP (10.43.0.1:443). Like
/// kube-apiserver's, it writes through the server's loopback client, so its writes take the path every write takes
/// (validation, admission, watch). An address a pod cannot reach (loopback) is refused with a warning.
/// </summary>
internal sealed partial class EndpointReconciler(Kubernetes loopback, ILogger logger)
{
    /// <summary>Publishes <paramref name="advertise"/>:<paramref name="port"/> (on <paramref name="nodeName"/>, when the server is also a node).</summary>
    public async Task ReconcileAsync(IPAddress advertise, int port, string? nodeName, CancellationToken cancellationToken)
    {
        if (IPAddress.IsLoopback(advertise))
        {
            // A pod cannot reach the server's loopback, and Endpoints may not hold one.
            LogFailed(logger, $"the API server listens on {advertise} only");
            return;
        }

        try
        {
            // The Service itself is the bootstrap's; only where it leads is reconciled here.
            await new SelectorlessServicePublisher(loopback, logger).PublishAsync(
                "default", "kubernetes", clusterIp: null, new Dictionary<string, string>(), [new ServicePortMapping("https", "TCP", 443, port)],
                [advertise], nodeName, cancellationToken);
        }
        catch (HttpOperationException e)
        {
            LogFailed(logger, e.Response.Content);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish the endpoints of default/kubernetes: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
