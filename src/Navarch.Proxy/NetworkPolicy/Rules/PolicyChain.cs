namespace Navarch.Proxy.NetworkPolicy.Rules;

/// <summary>
/// The chain shared by the local pods that the same policies isolate in one direction: the allow rules of those
/// policies (OR), then a reject.
/// </summary>
/// <param name="Name">The chain's name.</param>
/// <param name="Direction">Which traffic of its pods it judges.</param>
/// <param name="Policies">The policies (namespace/name) whose rules it holds.</param>
/// <param name="Rules">The allow rules.</param>
internal sealed record PolicyChain(string Name, PolicyDirection Direction, IReadOnlyList<string> Policies, IReadOnlyList<AllowRule> Rules);
