using System.Net;
using System.Net.Sockets;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client;
using Navarch.Client.Publishing;
using Navarch.Dns.Access;
using Navarch.Dns.Publishing;

namespace Navarch.Dns;

/// <summary>
/// Runs the cluster DNS the way <c>navarch server</c> places it: on this node's pod bridge (the gateway address of its
/// pod CIDR, which the kubelet sets up before the first pod) port 53, or an explicit address, published as the
/// <c>kube-system/kube-dns</c> Service with the cluster DNS ClusterIP, so pods and nodes reach it through the Service
/// proxy as they would reach CoreDNS — the node's external address has no DNS listener, and whoever reaches the
/// listener from outside the cluster is refused.
/// </summary>
public static partial class ClusterDnsHost
{
    /// <summary>
    /// Starts the server and publishes kube-dns. Returns null, after logging why, when there is nowhere to listen (no
    /// pod bridge address and no <see cref="ClusterDnsHostOptions.Bind"/>) or the endpoint cannot be bound: the control
    /// plane runs on without DNS.
    /// </summary>
    /// <param name="client">A client of the API server (it lists and watches Services, EndpointSlices and Nodes).</param>
    /// <param name="options">Where and for whom.</param>
    /// <param name="loggers">Logging.</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    public static async Task<ClusterDnsServer?> StartAsync(Kubernetes client, ClusterDnsHostOptions options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        ILogger logger = loggers.CreateLogger(typeof(ClusterDnsHost));
        IPEndPoint? listen;
        if (options.Bind is { Length: > 0 } bind)
        {
            listen = ResolvConf.Endpoint(bind, options.Port);
        }
        else if (options.PodBridge is not { } bridge)
        {
            LogNoAddress(logger);
            return null;
        }
        else if (HostAddresses.IPv4Of(bridge) is { } gateway)
        {
            listen = new IPEndPoint(gateway, options.Port);
        }
        else
        {
            LogNoBridge(logger, bridge);
            return null;
        }

        var server = new ClusterDnsServer(client, new ClusterDnsOptions
        {
            Listen = listen,
            Domain = options.Domain,
            Upstreams = ResolvConf.Parse(options.Upstreams),
            ClusterNetworks = [.. options.ClusterNetworks.SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(IPNetwork.Parse)],
            MetricsPort = options.MetricsPort,
        }, loggers);
        try
        {
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            LogBindFailed(logger, listen, e.Message);
            await server.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        try
        {
            await StartupRetry.UntilDoneAsync(
                async ct =>
                {
                    // Listening on every address publishes the node's own; a pod cannot reach 0.0.0.0.
                    IPAddress advertise = listen.Address.Equals(IPAddress.Any) || listen.Address.Equals(IPAddress.IPv6Any)
                        ? (options.NodeName is null ? null : await InternalIpAsync(client, options.NodeName, ct).ConfigureAwait(false)) ?? IPAddress.Loopback
                        : listen.Address;
                    await KubeDnsService.PublishAsync(new SelectorlessServicePublisher(client, logger), options.ClusterIp, advertise, listen.Port, options.NodeName, ct).ConfigureAwait(false);
                },
                e => LogPublishFailed(logger, e.Message),
                cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            LogPublishFailed(logger, e.Response.Content);
        }

        return server;
    }

    /// <summary>The InternalIP the kubelet reported for <paramref name="nodeName"/>, if any.</summary>
    private static async Task<IPAddress?> InternalIpAsync(Kubernetes client, string nodeName, CancellationToken cancellationToken)
    {
        V1Node node = await client.CoreV1.ReadNodeAsync(nodeName, cancellationToken: cancellationToken).ConfigureAwait(false);
        string? ip = node.Status?.Addresses?.FirstOrDefault(a => a.Type == "InternalIP")?.Address;
        return IPAddress.TryParse(ip, out IPAddress? address) && address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 ? address : null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "No cluster DNS: no agent runs here and --cluster-dns-bind is not set")]
    private static partial void LogNoAddress(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "No cluster DNS: the pod bridge {Bridge} has no IPv4 address (set --cluster-dns-bind)")]
    private static partial void LogNoBridge(ILogger logger, string bridge);

    [LoggerMessage(Level = LogLevel.Error, Message = "No cluster DNS: cannot listen on {Endpoint}: {Error}")]
    private static partial void LogBindFailed(ILogger logger, IPEndPoint endpoint, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not publish the kube-dns Service: {Error}")]
    private static partial void LogPublishFailed(ILogger logger, string error);
}
