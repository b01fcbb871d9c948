using System.Net;
using Navarch.Client.Publishing;

namespace Navarch.Dns.Publishing;

/// <summary>The <c>kube-system/kube-dns</c> Service every Kubernetes cluster has, here pointing at this process's DNS server.</summary>
public static class KubeDnsService
{
    /// <summary>The Service's namespace.</summary>
    public const string Namespace = "kube-system";

    /// <summary>The Service's name.</summary>
    public const string Name = "kube-dns";

    /// <summary>
    /// Publishes the Service with <paramref name="clusterIp"/> (ports <c>dns</c> 53/UDP and <c>dns-tcp</c> 53/TCP, label
    /// <c>k8s-app=kube-dns</c>, no selector) and its endpoints at <paramref name="address"/>:<paramref name="port"/>.
    /// </summary>
    public static Task PublishAsync(SelectorlessServicePublisher publisher, string clusterIp, IPAddress address, int port, string? nodeName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        return publisher.PublishAsync(
            Namespace,
            Name,
            clusterIp,
            new Dictionary<string, string> { ["k8s-app"] = "kube-dns", ["kubernetes.io/cluster-service"] = "true" },
            [new ServicePortMapping("dns", "UDP", 53, port), new ServicePortMapping("dns-tcp", "TCP", 53, port)],
            [address],
            nodeName,
            cancellationToken);
    }
}
