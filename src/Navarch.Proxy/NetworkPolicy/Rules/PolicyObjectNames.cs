using System.Security.Cryptography;
using System.Text;
using Navarch.Proxy.NetworkPolicy.Model;

namespace Navarch.Proxy.NetworkPolicy.Rules;

/// <summary>
/// Names of the chains and sets in the policy table: a readable kind and a hash of what they stand for (the policies
/// of a chain, the addresses of a set), so the same state always yields the same names.
/// </summary>
internal static class PolicyObjectNames
{
    /// <summary>The chain of the pods isolated in <paramref name="direction"/> by exactly <paramref name="policies"/>.</summary>
    public static string Chain(PolicyDirection direction, IEnumerable<string> policies) =>
        $"{Kind(direction)}-{Hash(string.Join('\n', policies))}";

    /// <summary>
    /// The set of <paramref name="ranges"/>, named after its content: rules whose peers are the same addresses (a common
    /// selector in many policies) share one set.
    /// </summary>
    public static string PeerSet(IEnumerable<IpRange> ranges) => $"peers-{Hash(string.Join(',', ranges))}";

    private static string Kind(PolicyDirection direction) => direction == PolicyDirection.Ingress ? "ingress" : "egress";

    private static string Hash(string input)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(input));
        return Convert.ToHexStringLower(hash)[..16];
    }
}
