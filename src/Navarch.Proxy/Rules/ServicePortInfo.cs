namespace Navarch.Proxy.Rules;

/// <summary>One port of a Service, as the rules need it (kube-proxy's ServicePort).</summary>
/// <param name="Namespace">The Service's namespace.</param>
/// <param name="Name">The Service's name.</param>
/// <param name="PortName">The port's name ("" when unnamed).</param>
/// <param name="Protocol">TCP, UDP or SCTP.</param>
/// <param name="ClusterIp">The ClusterIP.</param>
/// <param name="Port">The Service port.</param>
internal sealed record ServicePortInfo(string Namespace, string Name, string PortName, string Protocol, string ClusterIp, int Port)
{
    /// <summary>The node port (NodePort and LoadBalancer Services), or 0.</summary>
    public int NodePort { get; init; }

    /// <summary>spec.externalIPs.</summary>
    public IReadOnlyList<string> ExternalIps { get; init; } = [];

    /// <summary>status.loadBalancer.ingress[].ip.</summary>
    public IReadOnlyList<string> LoadBalancerIps { get; init; } = [];

    /// <summary>ClientIP affinity timeout in seconds, or null without affinity.</summary>
    public int? AffinitySeconds { get; init; }

    /// <summary>externalTrafficPolicy Local: external traffic only to local endpoints, client IP kept.</summary>
    public bool ExternalPolicyLocal { get; init; }

    /// <summary>internalTrafficPolicy Local: ClusterIP traffic only to local endpoints.</summary>
    public bool InternalPolicyLocal { get; init; }

    /// <summary><c>namespace/name:port</c>, kube-proxy's ServicePortName (no colon part when the port is unnamed).</summary>
    public string Key { get; } = PortName.Length == 0 ? $"{Namespace}/{Name}" : $"{Namespace}/{Name}:{PortName}";

    /// <summary>Whether anything outside the ClusterIP reaches this port.</summary>
    public bool HasExternal => NodePort > 0 || ExternalIps.Count > 0 || LoadBalancerIps.Count > 0;
}
