using System.Text;
using k8s;
using Navarch.ApiServer.Join;

namespace Navarch.Server;

/// <summary>
/// The clients of the server's own agent, with the identities a joined agent is issued (k3s gives its server's agent
/// the same per-component kubeconfigs): the kubelet as <c>system:node:&lt;name&gt;</c> in <c>system:nodes</c>, so the
/// Node authorizer and NodeRestriction hold it to its own node, and the proxy as <c>system:kube-proxy</c>.
/// </summary>
internal sealed class AgentClients : IDisposable
{
    public AgentClients(ApiServer.ApiServer server, string nodeName)
    {
        Kubelet = Connect(server.ClientKubeconfig(JoinProtocol.NodeUser(nodeName), JoinProtocol.NodesGroup));
        Proxy = Connect(server.ClientKubeconfig(JoinProtocol.KubeProxyUser, null));
    }

    /// <summary>The kubelet's client.</summary>
    public Kubernetes Kubelet { get; }

    /// <summary>The proxy's client.</summary>
    public Kubernetes Proxy { get; }

    public void Dispose()
    {
        Kubelet.Dispose();
        Proxy.Dispose();
    }

    private static Kubernetes Connect(string kubeconfig)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(kubeconfig));
        return new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(stream));
    }
}
