using Navarch.Kubelet;
using Navarch.Proxy;

namespace Navarch.Agent;

/// <summary>What a node agent runs (k3s's agent config), parsed from the command's flags.</summary>
internal sealed record AgentOptions
{
    /// <summary>The kubelet's settings.</summary>
    public required KubeletOptions Kubelet { get; init; }

    /// <summary>The Service proxy's settings; null runs none (<c>--disable-kube-proxy</c>, or <c>navarch kubelet</c>).</summary>
    public ProxyOptions? Proxy { get; init; }
}
