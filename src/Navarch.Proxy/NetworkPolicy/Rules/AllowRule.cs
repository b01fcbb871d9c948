namespace Navarch.Proxy.NetworkPolicy.Rules;

/// <summary>
/// One line of a policy chain: traffic matching all of its parts is allowed (the chain returns). Null parts match
/// anything.
/// </summary>
/// <param name="PeerSet">The address set of the rule's peers (sources for ingress, destinations for egress).</param>
/// <param name="Protocol">tcp, udp or sctp.</param>
/// <param name="Port">The destination port, or the first of a range.</param>
/// <param name="EndPort">The last port of a range.</param>
/// <param name="Destinations">For a named port: the destination addresses and the number it means on each.</param>
/// <param name="Comment">The policy and rule this line comes from.</param>
internal sealed record AllowRule(
    string? PeerSet,
    string? Protocol,
    int? Port,
    int? EndPort,
    IReadOnlyList<DestinationPort>? Destinations,
    string Comment);
