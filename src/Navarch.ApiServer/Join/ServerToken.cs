using System.Security.Cryptography;
using System.Text;

namespace Navarch.ApiServer.Join;

/// <summary>
/// The server's own join token (k3s's server token): <c>K10&lt;CA hash&gt;::server:&lt;secret&gt;</c>, generated
/// on first start or taken from <c>--token</c>, kept in <c>&lt;data-dir&gt;/server/token</c> (mode 600), and replaced
/// while the server runs by <c>navarch token rotate</c> (<see cref="Rotate"/>).
/// </summary>
public sealed class ServerToken
{
    // The token and its secret change together: one reference, swapped whole.
    private volatile Current _current;

    private ServerToken(JoinToken token, string path)
    {
        _current = new Current(token);
        FilePath = path;
    }

    /// <summary>The full token agents join with.</summary>
    public JoinToken Token => _current.Token;

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
            secret = NewSecret();
        }

        var token = new JoinToken(caHash, "server:" + secret);
        PrivateFiles.CreateDirectory(serverDir);
        PrivateFiles.Write(path, token + "\n");
        return new ServerToken(token, path);
    }

    /// <summary>True when <paramref name="credentials"/> (<c>server:secret</c> or the bare secret) is this server's.</summary>
    public bool Matches(string credentials) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(SecretOf(credentials)), _current.Secret);

    /// <summary>A random secret for a new server token (32 hex digits).</summary>
    public static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>
    /// Replaces the token with one of <paramref name="secret"/> for the same CA: written to <see cref="FilePath"/> first,
    /// then in force, so from here on only the new one matches.
    /// </summary>
    public JoinToken Rotate(string secret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(secret);
        var token = new JoinToken(Token.CaHash, "server:" + SecretOf(secret));
        PrivateFiles.Write(FilePath, token + "\n");
        _current = new Current(token);
        return token;
    }

    /// <summary>The secret in server-token credentials: <c>server:&lt;secret&gt;</c> or the bare secret.</summary>
    internal static string SecretOf(string credentials) =>
        credentials.StartsWith("server:", StringComparison.Ordinal) ? credentials["server:".Length..] : credentials;

    private sealed class Current(JoinToken token)
    {
        public JoinToken Token { get; } = token;

        public byte[] Secret { get; } = Encoding.UTF8.GetBytes(SecretOf(token.Credentials));
    }
}
