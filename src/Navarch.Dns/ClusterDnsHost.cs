using System.Net;
using System.Net.Sockets;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client.Publishing;
using Navarch.Dns.Publishing;

namespace Navarch.Dns;

/// <summary>
/// Runs the cluster DNS the way <c>navarch server</c> places it: on this node's InternalIP (or an explicit address) port
/// 53, published as the <c>kube-system/kube-dns</c> Service with the cluster DNS ClusterIP, so pods reach it through
/// the Service proxy as they would reach CoreDNS.
/// </summary>
public static partial class ClusterDnsHost
{
    /// <summary>
    /// Starts the server and publishes kube-dns. Returns null, after logging why, when there is nowhere to listen (no
    /// node and no <paramref name="bind"/>) or the endpoint cannot be bound: the control plane runs on without DNS.
    /// </summary>
    /// <param name="client">A client of the API server.</param>
    /// <param name="bind"><c>IP[:port]</c> to listen on, or null for the InternalIP of <paramref name="nodeName"/> on port 53.</param>
    /// <param name="nodeName">This machine's Node, when an agent runs here.</param>
    /// <param name="clusterIp">The kube-dns Service's ClusterIP (the kubelet's <c>--cluster-dns</c>).</param>
    /// <param name="domain">The cluster domain.</param>
    /// <param name="upstreams">Upstream resolvers (<c>IP[:port]</c> list, or a resolv.conf path).</param>
    /// <param name="loggers">Logging.</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    public static async Task<ClusterDnsServer?> StartAsync(Kubernetes client, string? bind, string? nodeName, string clusterIp, string domain, string upstreams, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        ILogger logger = loggers.CreateLogger(typeof(ClusterDnsHost));
        IPEndPoint? listen = bind is { Length: > 0 }
            ? ResolvConf.Endpoint(bind, 53)
            : nodeName is not null && await InternalIpAsync(client, nodeName, cancellationToken).ConfigureAwait(false) is { } ip ? new IPEndPoint(ip, 53) : null;
        if (listen is null)
        {
            LogNoAddress(logger);
            return null;
        }

        var server = new ClusterDnsServer(client, new ClusterDnsOptions { Listen = listen, Domain = domain, Upstreams = ResolvConf.Parse(upstreams) }, loggers);
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
            // Listening on every address publishes the node's own; a pod cannot reach 0.0.0.0.
            IPAddress advertise = listen.Address.Equals(IPAddress.Any) || listen.Address.Equals(IPAddress.IPv6Any)
                ? (nodeName is null ? null : await InternalIpAsync(client, nodeName, cancellationToken).ConfigureAwait(false)) ?? IPAddress.Loopback
                : listen.Address;
            await KubeDnsService.PublishAsync(new SelectorlessServicePublisher(client, logger), clusterIp, advertise, listen.Port, nodeName, cancellationToken).ConfigureAwait(false);
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

    [LoggerMessage(Level = LogLevel.Error, Message = "No cluster DNS: cannot listen on {Endpoint}: {Error}")]
    private static partial void LogBindFailed(ILogger logger, IPEndPoint endpoint, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not publish the kube-dns Service: {Error}")]
    private static partial void LogPublishFailed(ILogger logger, string error);
}
