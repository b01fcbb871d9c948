using System.Security.Cryptography;
using System.Text;

namespace Navarch.Proxy.NetworkPolicy.Rules;

/// <summary>
/// Names of the chains and sets in the policy table: a readable kind and a hash of what they stand for (the policies
/// of a chain, the policy and rule of a set), so the same state always yields the same names.
/// </summary>
internal static class PolicyObjectNames
{
    /// <summary>The chain of the pods isolated in <paramref name="direction"/> by exactly <paramref name="policies"/>.</summary>
    public static string Chain(PolicyDirection direction, IEnumerable<string> policies) =>
        $"{Kind(direction)}-{Hash(string.Join('\n', policies))}";

    /// <summary>The peer set of rule <paramref name="index"/> of <paramref name="policy"/> in <paramref name="direction"/>.</summary>
    public static string PeerSet(string policy, PolicyDirection direction, int index) =>
        $"{Kind(direction)}-peers-{Hash($"{policy}\n{index}")}";

    private static string Kind(PolicyDirection direction) => direction == PolicyDirection.Ingress ? "ingress" : "egress";

    private static string Hash(string input)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(input));
        return Convert.ToHexStringLower(hash)[..16];
    }
}
