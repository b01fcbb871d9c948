using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client.Informers;

namespace Navarch.Agent.LoadBalancer;

/// <summary>
/// Keeps the agent's load balancer told of every API server, as k3s's agent tunnel does with a watch on the same object:
/// an informer on the <c>default/kubernetes</c> Endpoints — which list the live servers' addresses and their https port —
/// through the balancer itself, handing the addresses to <see cref="AgentLoadBalancer.Update"/> at each change (a server
/// joining or expiring shows at once). It lists and watches by name, which <c>system:node-proxier</c> (the agent's proxy
/// identity) may do. A failed list or watch is retried by the informer (through the balancer, so on another server) and
/// keeps the list as it is; so does a deletion (the servers' reconcilers make the object again).
/// </summary>
internal sealed partial class KubernetesEndpointsLearner(Kubernetes client, AgentLoadBalancer balancer, ILogger logger, TimeProvider? time = null)
{
    /// <summary>Lists, watches and updates until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var informer = new Informer<V1Endpoints>(client, "default", fieldSelector: "metadata.name=kubernetes", time: time, logger: logger);
        informer.AddHandler(new ResourceEventHandler<V1Endpoints>
        {
            AddFunc = Learn,
            UpdateFunc = (_, endpoints) => Learn(endpoints),
        });
        try
        {
            await informer.RunAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void Learn(V1Endpoints endpoints)
    {
        IReadOnlyList<string> addresses = AddressesOf(endpoints);
        LogLearned(logger, addresses.Count);
        balancer.Update(addresses);
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

    [LoggerMessage(Level = LogLevel.Debug, Message = "The default/kubernetes endpoints list {Count} API servers")]
    private static partial void LogLearned(ILogger logger, int count);
}
