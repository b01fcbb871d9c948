using System.Security.Cryptography;
using System.Text;
using k8s.Models;
using Navarch.Api;
using Navarch.ApiServer.Http;
using Navarch.ApiServer.Registry;
using Navarch.Storage;

namespace Navarch.ApiServer.Join;

/// <summary>
/// Kubernetes bootstrap tokens: <c>&lt;id&gt;.&lt;secret&gt;</c> checked against the Secret
/// <c>kube-system/bootstrap-token-&lt;id&gt;</c> of type <c>bootstrap.kubernetes.io/token</c> (token-secret,
/// usage-bootstrap-authentication, expiration, auth-extra-groups), authenticating as
/// <c>system:bootstrap:&lt;id&gt;</c> in <c>system:bootstrappers</c>. Expired tokens are refused, as kube-apiserver does.
/// </summary>
internal sealed class BootstrapTokens(IStore store, ResourceDefinition secrets, TimeProvider time)
{
    /// <summary>The group every bootstrap token's user is in.</summary>
    public const string Group = "system:bootstrappers";

    /// <summary>The user of a valid, unexpired bootstrap token, or null.</summary>
    public async Task<UserInfo?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        if (JoinToken.Parse(token).Bootstrap is not { } parts)
        {
            return null;
        }

        if (await ObjectCodec.ReadAsync(store, secrets, BootstrapTokenSecret.Namespace, BootstrapTokenSecret.NameOf(parts.Id), cancellationToken) is not V1Secret secret
            || secret.Type != BootstrapTokenSecret.Type)
        {
            return null;
        }

        string Value(string key) => secret.Data?.TryGetValue(key, out byte[]? v) == true ? Encoding.UTF8.GetString(v) : "";
        if (Value("token-id") != parts.Id
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(Value("token-secret")), Encoding.UTF8.GetBytes(parts.Secret))
            || Value("usage-bootstrap-authentication") != "true"
            || BootstrapTokenSecret.IsExpired(Value("expiration"), time.GetUtcNow()))
        {
            return null;
        }

        var groups = new List<string> { Group };
        groups.AddRange(Value("auth-extra-groups").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(g => g.StartsWith(Group + ":", StringComparison.Ordinal)));
        groups.Add("system:authenticated");
        return new UserInfo("system:bootstrap:" + parts.Id, "", groups);
    }
}
