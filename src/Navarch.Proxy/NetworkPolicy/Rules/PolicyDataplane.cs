using Navarch.Proxy.NetworkPolicy.Model;

namespace Navarch.Proxy.NetworkPolicy.Rules;

/// <summary>
/// What one node enforces: for each local pod isolated for ingress (egress), the chain its incoming (outgoing)
/// connections are judged by; the chains; and the address sets their rules refer to. A pod in neither map is not
/// isolated: all its traffic is allowed.
/// </summary>
/// <param name="IngressPods">Local pod address → its ingress chain.</param>
/// <param name="EgressPods">Local pod address → its egress chain.</param>
/// <param name="Chains">Every chain, by name.</param>
/// <param name="Sets">Every address set, by name (sorted, disjoint ranges).</param>
internal sealed record PolicyDataplane(
    SortedDictionary<uint, string> IngressPods,
    SortedDictionary<uint, string> EgressPods,
    SortedDictionary<string, PolicyChain> Chains,
    SortedDictionary<string, IReadOnlyList<IpRange>> Sets);
