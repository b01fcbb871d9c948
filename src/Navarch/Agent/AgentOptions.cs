using Navarch.Kubelet;
using Navarch.Proxy;
using Navarch.Proxy.NetworkPolicy;

namespace Navarch.Agent;

/// <summary>What a node agent runs (k3s's agent config), parsed from the command's flags.</summary>
internal sealed record AgentOptions
{
    /// <summary>The kubelet's settings.</summary>
    public required KubeletOptions Kubelet { get; init; }

    /// <summary>The Service proxy's settings; null runs none (<c>--disable-kube-proxy</c>, or <c>navarch kubelet</c>).</summary>
    public ProxyOptions? Proxy { get; init; }

    /// <summary>The network policy controller's settings; null runs none (<c>navarch kubelet</c>).</summary>
    public NetworkPolicyOptions? NetworkPolicy { get; init; }

    /// <summary>
    /// <c>--disable-network-policy</c>: no controller runs, and a table an earlier run left (which would go on isolating
    /// pods) is removed.
    /// </summary>
    public bool NetworkPolicyDisabled { get; init; }
}
