using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Http;
using Navarch.Api.Certificates;
using Navarch.ApiServer.Pki;

namespace Navarch.ApiServer.Http;

/// <summary>Who made a request; <paramref name="Extra"/> is what the authenticator (or impersonation) adds, by key.</summary>
internal sealed record UserInfo(string Name, string Uid, IReadOnlyList<string> Groups, IReadOnlyDictionary<string, IReadOnlyList<string>>? Extra = null);

/// <summary>
/// Kubernetes' authenticator chain: a client certificate signed by the cluster CA (user = CN, groups = O), then a
/// bearer token from the static token file, then a service account token, then a bootstrap token
/// (<see cref="Join.BootstrapTokens"/>). Null means
/// unauthenticated.
/// </summary>
internal sealed class Authentication
{
    private readonly ClusterPki _pki;
    private readonly Dictionary<string, UserInfo> _tokens;
    private readonly ServiceAccounts.ServiceAccountTokens _serviceAccountTokens;
    private readonly Join.BootstrapTokens _bootstrapTokens;

    /// <summary>
    /// The chain over the cluster CA, the static token file (if any), service account tokens (JWTs from the
    /// TokenRequest API) and bootstrap tokens (<c>id.secret</c> bearer tokens backed by kube-system Secrets).
    /// </summary>
    public Authentication(ClusterPki pki, string? tokenFile, ServiceAccounts.ServiceAccountTokens serviceAccountTokens, Join.BootstrapTokens bootstrapTokens)
    {
        _pki = pki;
        _tokens = tokenFile is null ? [] : LoadTokens(tokenFile);
        _serviceAccountTokens = serviceAccountTokens;
        _bootstrapTokens = bootstrapTokens;
    }

    /// <summary>
    /// The user a bearer token stands for through the token authenticators of the chain (the static token file, service
    /// account tokens, bootstrap tokens) when it is meant for one of <paramref name="audiences"/>, and the audiences it
    /// is good for — a TokenReview's answer. The static and bootstrap tokens carry no audience: they stand for the API
    /// server's own (<see cref="ServiceAccounts.ServiceAccountTokens.Issuer"/>) only, as Kubernetes' audience-agnostic
    /// authenticators do.
    /// </summary>
    public async Task<(UserInfo User, IReadOnlyList<string> Audiences)?> AuthenticateTokenAsync(string token, IReadOnlyList<string> audiences, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> api = audiences.Contains(ServiceAccounts.ServiceAccountTokens.Issuer) ? [ServiceAccounts.ServiceAccountTokens.Issuer] : [];
        if (api.Count > 0 && StaticToken(token) is { } user)
        {
            return (user, api);
        }

        if (await _serviceAccountTokens.AuthenticateAsync(token, audiences, cancellationToken) is { } account)
        {
            return account;
        }

        return api.Count > 0 && await _bootstrapTokens.AuthenticateAsync(token, cancellationToken) is { } bootstrap ? (bootstrap, api) : null;
    }

    public async ValueTask<UserInfo?> AuthenticateAsync(HttpContext context)
    {
        if (Authenticate(context) is { } user)
        {
            return user;
        }

        string header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string token = header["Bearer ".Length..].Trim();
        if (await _serviceAccountTokens.AuthenticateAsync(token, context.RequestAborted) is { } account)
        {
            return account;
        }

        return await _bootstrapTokens.AuthenticateAsync(token, context.RequestAborted);
    }

    public UserInfo? Authenticate(HttpContext context)
    {
        if (context.Connection.ClientCertificate is { } cert && _pki.IsClientCertificate(cert))
        {
            string cn = cert.GetNameInfo(X509NameType.SimpleName, false);
            List<string> groups = [.. cert.SubjectName.All("2.5.4.10"), "system:authenticated"];
            return new UserInfo(cn, "", groups);
        }

        string header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? StaticToken(header["Bearer ".Length..].Trim()) : null;
    }

    /// <summary>The user of a token in the static token file, or null.</summary>
    private UserInfo? StaticToken(string token)
    {
        foreach ((string known, UserInfo user) in _tokens)
        {
            if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(known), Encoding.UTF8.GetBytes(token)))
            {
                return user;
            }
        }

        return null;
    }

    /// <summary>Reads the CSV token file: <c>token,user,uid[,"group1,group2"]</c>.</summary>
    private static Dictionary<string, UserInfo> LoadTokens(string path)
    {
        var tokens = new Dictionary<string, UserInfo>(StringComparer.Ordinal);
        foreach (string line in File.ReadAllLines(path))
        {
            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            List<string> fields = SplitCsv(line);
            if (fields.Count < 3)
            {
                throw new InvalidDataException($"token file {path}: a line needs at least token,user,uid");
            }

            var groups = fields.Count > 3 ? fields[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList() : [];
            groups.Add("system:authenticated");
            tokens[fields[0]] = new UserInfo(fields[1], fields[2], groups);
        }

        return tokens;
    }

    private static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        bool quoted = false;
        foreach (char c in line)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                fields.Add(current.ToString().Trim());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        fields.Add(current.ToString().Trim());
        return fields;
    }
}
