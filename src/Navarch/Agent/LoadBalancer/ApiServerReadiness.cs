using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;

namespace Navarch.Agent.LoadBalancer;

/// <summary>
/// Waits until an API server answers through the agent's load balancer before the kubelet starts (k3s's agent waits
/// for the apiserver the same way), so an agent started before any server — or restarted while every server is down —
/// comes up once one is there instead of failing its Node's registration.
/// </summary>
internal static partial class ApiServerReadiness
{
    /// <summary>Returns once <c>/version</c> answers; retries every <paramref name="interval"/> until cancelled.</summary>
    public static async Task WaitAsync(Kubernetes client, ILogger logger, TimeSpan? interval = null, CancellationToken cancellationToken = default)
    {
        bool logged = false;
        while (true)
        {
            try
            {
                await client.Version.GetCodeAsync(cancellationToken);
                return;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                if (!logged)
                {
                    LogWaiting(logger, e.Message);
                    logged = true;
                }
            }

            await Task.Delay(interval ?? TimeSpan.FromSeconds(2), cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Waiting for an API server to answer through the load balancer: {Reason}")]
    private static partial void LogWaiting(ILogger logger, string reason);
}
