using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;

namespace Navarch.Client.Delegation;

/// <summary>
/// Bearer tokens checked by the API server with a TokenReview, as a component with <c>--authentication-kubeconfig</c>
/// (kube-scheduler, kube-controller-manager) or the kubelet's <c>--authentication-token-webhook</c> checks them:
/// a token the API server authenticates is that user, any other is rejected. Answers are kept for
/// <c>ttl</c> (the kubelet's <c>--authentication-token-webhook-cache-ttl</c>, 2 minutes; zero keeps none).
/// </summary>
public sealed class DelegatingAuthenticator
{
    /// <summary>The user of a request with no credentials.</summary>
    public static V1UserInfo Anonymous => new() { Username = "system:anonymous", Groups = ["system:unauthenticated"] };

    private readonly IKubernetes _client;
    private readonly TimeSpan _ttl;
    private readonly ReviewCache<V1UserInfo?> _cache;

    /// <summary>Creates an authenticator asking <paramref name="client"/>'s API server, keeping answers for <paramref name="ttl"/>.</summary>
    public DelegatingAuthenticator(IKubernetes client, TimeSpan ttl, TimeProvider? time = null)
    {
        _client = client;
        _ttl = ttl;
        _cache = new ReviewCache<V1UserInfo?>(time ?? TimeProvider.System);
    }

    /// <summary>The token of an <c>Authorization: Bearer</c> header, or null when there is none.</summary>
    public static string? BearerToken(string? authorization) =>
        authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization["Bearer ".Length..].Trim() is { Length: > 0 } token
            ? token
            : null;

    /// <summary>The user <paramref name="token"/> belongs to, or null when the API server does not authenticate it.</summary>
    public async Task<V1UserInfo?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        // The cache is keyed by the token's hash: the tokens themselves are not kept.
        string key = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        if (_cache.TryGet(key, out V1UserInfo? cached))
        {
            return cached;
        }

        V1TokenReview review = await _client.AuthenticationV1.CreateTokenReviewAsync(
            new V1TokenReview { Spec = new V1TokenReviewSpec { Token = token } },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        V1UserInfo? user = review.Status?.Authenticated == true ? review.Status.User : null;
        _cache.Add(key, user, _ttl);
        return user;
    }
}
