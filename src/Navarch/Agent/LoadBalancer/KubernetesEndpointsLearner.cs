using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Navarch.Agent.LoadBalancer;

/// <summary>
/// Keeps the agent's load balancer told of every API server (k3s's agent tunnel does this with a watch on the same
/// object): reads the <c>default/kubernetes</c> Endpoints — which list the live servers' addresses and their https port —
/// through the balancer itself, every <paramref name="interval"/>, and hands the addresses to
/// <see cref="AgentLoadBalancer.Update"/>. It reads with a list by name, which <c>system:node-proxier</c> (the agent's
/// proxy identity) may do. A failed read keeps the list as it is.
/// </summary>
internal sealed partial class KubernetesEndpointsLearner(Kubernetes client, AgentLoadBalancer balancer, ILogger logger, TimeSpan? interval = null, TimeProvider? time = null)
{
    private readonly TimeSpan _interval = interval ?? TimeSpan.FromSeconds(5);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Reads and updates until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                V1EndpointsList list = await client.CoreV1.ListNamespacedEndpointsAsync("default", fieldSelector: "metadata.name=kubernetes", cancellationToken: cancellationToken);
                balancer.Update(AddressesOf(list.Items.FirstOrDefault()));
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                LogFailed(logger, e.Message);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                // The agent gave up starting and disposed its client: nothing left to learn for.
                return;
            }

            try
            {
                await Task.Delay(_interval, _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The <c>host:port</c> of every ready address of <paramref name="endpoints"/>, on its <c>https</c> port (or its only
    /// port): one subset per port, as the endpoints controller groups them, so servers on different ports each keep theirs.
    /// </summary>
    public static IReadOnlyList<string> AddressesOf(V1Endpoints? endpoints)
    {
        List<string> addresses = [];
        foreach (V1EndpointSubset subset in endpoints?.Subsets ?? [])
        {
            Corev1EndpointPort? port = subset.Ports?.FirstOrDefault(p => p.Name == "https") ?? (subset.Ports is { Count: 1 } only ? only[0] : null);
            if (port is null)
            {
                continue;
            }

            foreach (V1EndpointAddress address in subset.Addresses ?? [])
            {
                addresses.Add(System.Net.IPAddress.TryParse(address.Ip, out System.Net.IPAddress? ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                    ? $"[{address.Ip}]:{port.Port}"
                    : $"{address.Ip}:{port.Port}");
            }
        }

        return addresses;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not read the default/kubernetes endpoints: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
