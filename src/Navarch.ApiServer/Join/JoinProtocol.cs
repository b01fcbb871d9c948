namespace Navarch.ApiServer.Join;

/// <summary>The join endpoints' paths and header, shared by the server (<see cref="JoinEndpoints"/>) and the agent.</summary>
public static class JoinProtocol
{
    /// <summary>The CA bundle, unauthenticated (k3s's path).</summary>
    public const string CaCertsPath = "/cacerts";

    /// <summary>Signs the kubelet's client certificate request.</summary>
    public const string ClientKubeletPath = "/v1-navarch/client-kubelet";

    /// <summary>Signs the agent's proxy client certificate request (<c>system:kube-proxy</c>).</summary>
    public const string ClientKubeProxyPath = "/v1-navarch/client-kube-proxy";

    /// <summary>Signs the kubelet's serving certificate request.</summary>
    public const string ServingKubeletPath = "/v1-navarch/serving-kubelet";

    /// <summary>The shared secrets and etcd members a joining server needs (server token only).</summary>
    public const string ServerBootstrapPath = "/v1-navarch/server-bootstrap";

    /// <summary>Rotates the server token (server token only; k3s's <c>/v1-k3s/token</c>).</summary>
    public const string TokenPath = "/v1-navarch/token";

    /// <summary>The group of every kubelet's client certificate.</summary>
    public const string NodesGroup = "system:nodes";

    /// <summary>The user of an agent's proxy (bound to <c>system:node-proxier</c>).</summary>
    public const string KubeProxyUser = "system:kube-proxy";

    /// <summary>The user of node <paramref name="nodeName"/>'s kubelet.</summary>
    public static string NodeUser(string nodeName) => "system:node:" + nodeName;

    /// <summary>The header naming the joining node.</summary>
    public const string NodeNameHeader = "Navarch-Node-Name";
}
