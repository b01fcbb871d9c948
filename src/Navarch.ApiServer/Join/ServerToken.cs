using System.Security.Cryptography;
using System.Text;

namespace Navarch.ApiServer.Join;

/// <summary>
/// The server's own join token (k3s's server token): <c>K10&lt;CA hash&gt;::server:&lt;secret&gt;</c>, generated
/// on first start or taken from <c>--token</c>, kept in <c>&lt;data-dir&gt;/server/token</c> (mode 600).
/// </summary>
public sealed class ServerToken
{
    private readonly byte[] _secret;

    private ServerToken(JoinToken token, string path)
    {
        Token = token;
        FilePath = path;
        _secret = Encoding.UTF8.GetBytes(SecretOf(token.Credentials));
    }

    /// <summary>The full token agents join with.</summary>
    public JoinToken Token { get; }

    /// <summary>Where the token is kept.</summary>
    public string FilePath { get; }

    /// <summary>
    /// Loads the stored token, or takes <paramref name="configured"/> (a full K10 token, <c>server:secret</c> or a bare
    /// secret), or generates one; the file always ends up holding the full token for this CA.
    /// </summary>
    /// <exception cref="InvalidDataException"><paramref name="configured"/> carries the hash of another CA (than this one or, after a CA rotation, <paramref name="formerCaHashes"/>).</exception>
    public static ServerToken LoadOrCreate(string serverDir, string caHash, string? configured, IReadOnlyCollection<string>? formerCaHashes = null)
    {
        string path = Path.Combine(serverDir, "token");
        string secret;
        if (!string.IsNullOrEmpty(configured))
        {
            JoinToken given = JoinToken.Parse(configured);
            if (given.CaHash is { } hash && hash != caHash && formerCaHashes?.Contains(hash) != true)
            {
                throw new InvalidDataException("--token carries the hash of another cluster CA than this server's");
            }

            secret = SecretOf(given.Credentials);
        }
        else if (File.Exists(path))
        {
            secret = SecretOf(JoinToken.Parse(File.ReadAllText(path)).Credentials);
        }
        else
        {
            secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        }

        var token = new JoinToken(caHash, "server:" + secret);
        PrivateFiles.CreateDirectory(serverDir);
        PrivateFiles.Write(path, token + "\n");
        return new ServerToken(token, path);
    }

    /// <summary>True when <paramref name="credentials"/> (<c>server:secret</c> or the bare secret) is this server's.</summary>
    public bool Matches(string credentials) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(SecretOf(credentials)), _secret);

    private static string SecretOf(string credentials) =>
        credentials.StartsWith("server:", StringComparison.Ordinal) ? credentials["server:".Length..] : credentials;
}
