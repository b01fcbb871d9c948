using k8s.Models;

namespace Navarch.Proxy.NetworkPolicy.Model;

/// <summary>
/// What network policies need of a pod: where it lives, its labels, its IPv4 address and named ports.
/// <see cref="PeerOnly"/> marks an address that stands for pods without being one (the cluster DNS served by the node,
/// see <see cref="ClusterDnsPeers"/>): it can be a peer, never a selected pod.
/// </summary>
/// <param name="Namespace">The pod's namespace.</param>
/// <param name="Name">The pod's name.</param>
/// <param name="Labels">The pod's labels.</param>
/// <param name="Ip">The pod's IPv4 address.</param>
/// <param name="Node">The node it runs on.</param>
/// <param name="Ports">Its containers' named ports.</param>
/// <param name="PeerOnly">Whether this only stands for pods (never isolated itself).</param>
internal sealed record PodEndpoint(
    string Namespace,
    string Name,
    IDictionary<string, string> Labels,
    uint Ip,
    string? Node,
    IReadOnlyList<ContainerPortInfo> Ports,
    bool PeerOnly = false)
{
    private static readonly Dictionary<string, string> NoLabels = new(StringComparer.Ordinal);

    /// <summary>
    /// The pod as network policies see it, or null when they do not apply: no IPv4 address yet, host network (its
    /// address is the node's), or finished (Succeeded/Failed: its address may already be another pod's).
    /// </summary>
    public static PodEndpoint? From(V1Pod pod)
    {
        if (pod.Spec?.HostNetwork == true || pod.Status?.Phase is "Succeeded" or "Failed")
        {
            return null;
        }

        string? ipText = pod.Status?.PodIP ?? pod.Status?.PodIPs?.FirstOrDefault()?.Ip;
        if (IpRange.ParseAddress(ipText) is not { } ip)
        {
            return null;
        }

        List<ContainerPortInfo> ports = (pod.Spec?.Containers ?? [])
            .SelectMany(c => c.Ports ?? [])
            .Where(p => !string.IsNullOrEmpty(p.Name))
            .Select(p => new ContainerPortInfo(p.Name, string.IsNullOrEmpty(p.Protocol) ? "TCP" : p.Protocol, p.ContainerPort))
            .ToList();
        return new PodEndpoint(
            pod.Metadata.NamespaceProperty ?? "default",
            pod.Metadata.Name,
            pod.Metadata.Labels is { } labels ? new Dictionary<string, string>(labels, StringComparer.Ordinal) : NoLabels,
            ip,
            pod.Spec?.NodeName,
            ports);
    }

    /// <summary>The named port <paramref name="name"/> over <paramref name="protocol"/>, if the pod has it.</summary>
    public int? NamedPort(string name, string protocol) =>
        Ports.FirstOrDefault(p => p.Name == name && string.Equals(p.Protocol, protocol, StringComparison.OrdinalIgnoreCase))?.Port;
}
