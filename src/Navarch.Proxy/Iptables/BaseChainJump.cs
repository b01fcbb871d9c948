namespace Navarch.Proxy.Iptables;

/// <summary>A rule in a built-in chain (PREROUTING, OUTPUT, …) that sends traffic into one of the proxy's chains.</summary>
/// <param name="Table">filter or nat.</param>
/// <param name="Chain">The built-in chain.</param>
/// <param name="Args">The match and <c>-j</c> target, as iptables arguments.</param>
internal sealed record BaseChainJump(string Table, string Chain, IReadOnlyList<string> Args);
