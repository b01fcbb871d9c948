using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Navarch.ApiServer.Join;

/// <summary>
/// A join token in k3s's format: <c>K10&lt;sha256 of the CA bundle, hex&gt;::&lt;credentials&gt;</c>, where the
/// credentials are the server's <c>server:&lt;secret&gt;</c> or a bootstrap token <c>&lt;id&gt;.&lt;secret&gt;</c>.
/// A token without the <c>K10</c> prefix carries credentials only (no CA hash to check the server against).
/// </summary>
public sealed partial record JoinToken(string? CaHash, string Credentials)
{
    /// <summary>The prefix of a token that carries a CA hash.</summary>
    public const string Prefix = "K10";

    /// <summary>The credentials as a bootstrap token (id, secret), or null when they are not one.</summary>
    public (string Id, string Secret)? Bootstrap =>
        BootstrapPattern().Match(Credentials) is { Success: true } m ? (m.Groups[1].Value, m.Groups[2].Value) : null;

    /// <summary>Reads a token; the credentials of a bare token are the whole string.</summary>
    /// <exception cref="FormatException">A <c>K10</c> token without <c>::</c> or with a malformed hash.</exception>
    public static JoinToken Parse(string token)
    {
        token = token.Trim();
        if (!token.StartsWith(Prefix, StringComparison.Ordinal) || !token.Contains("::", StringComparison.Ordinal))
        {
            return new JoinToken(null, token);
        }

        int split = token.IndexOf("::", StringComparison.Ordinal);
        string hash = token[Prefix.Length..split];
        if (!HashPattern().IsMatch(hash))
        {
            throw new FormatException("the token's CA hash is not a SHA-256 in hex");
        }

        return new JoinToken(hash.ToLowerInvariant(), token[(split + 2)..]);
    }

    /// <summary>
    /// The CA bundle the server serves at <c>/cacerts</c> (PEM) and token hashes are taken over: the trust roots
    /// (one CA, or the new and the old during a CA rotation).
    /// </summary>
    public static byte[] CaBundle(IEnumerable<System.Security.Cryptography.X509Certificates.X509Certificate2> cas) =>
        System.Text.Encoding.ASCII.GetBytes(Pki.ClusterPki.PemBundle(cas));

    /// <summary>The SHA-256 (lower-case hex) of the CA bundle bytes the server serves at <c>/cacerts</c>.</summary>
    public static string HashOf(ReadOnlySpan<byte> caBundle) => Convert.ToHexStringLower(SHA256.HashData(caBundle));

    /// <summary>True for a bootstrap token's shape, <c>[a-z0-9]{6}.[a-z0-9]{16}</c>.</summary>
    public static bool IsBootstrapToken(string credentials) => BootstrapPattern().IsMatch(credentials);

    /// <summary>The full token text.</summary>
    public override string ToString() => CaHash is null ? Credentials : $"{Prefix}{CaHash}::{Credentials}";

    [GeneratedRegex("^([a-z0-9]{6})\\.([a-z0-9]{16})$")]
    private static partial Regex BootstrapPattern();

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex HashPattern();
}
