using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api;

namespace Navarch.ApiServer.Registry.Authentication;

/// <summary>
/// <c>tokenreviews</c> (pkg/registry/authentication/tokenreview): who a bearer token stands for, checked by the server's
/// token authenticators for the audiences the spec asks about (the API server's own when none) — how webhooks and
/// aggregated servers delegate authentication; nothing is stored. A token it does not accept is answered with
/// <c>authenticated: false</c>, not an error.
/// </summary>
internal sealed class TokenReviewRest(Http.Authentication authentication) : IRestCreater
{
    public async Task<object> CreateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken)
    {
        V1TokenReview review = Http.RequestBody.Deserialize<V1TokenReview>(body);
        if (string.IsNullOrEmpty(review.Spec?.Token))
        {
            throw ApiErrors.BadRequest("token is required for TokenReview in authentication");
        }

        IReadOnlyList<string> audiences = review.Spec.Audiences is { Count: > 0 } asked ? [.. asked] : [Navarch.ApiServer.ServiceAccounts.ServiceAccountTokens.Issuer];
        var status = new V1TokenReviewStatus { Authenticated = false };
        if (await authentication.AuthenticateTokenAsync(review.Spec.Token, audiences, cancellationToken) is { } found)
        {
            status.Authenticated = true;
            status.User = ToUserInfo(found.User);
            status.Audiences = [.. found.Audiences];
        }

        review.ApiVersion = "authentication.k8s.io/v1";
        review.Kind = "TokenReview";
        review.Metadata = new V1ObjectMeta();
        review.Status = status;
        return JsonSerializer.SerializeToNode(review, KubernetesSerialization.Plain)!;
    }

    /// <summary>A user as the authentication API reports it.</summary>
    public static V1UserInfo ToUserInfo(Http.UserInfo user) => new()
    {
        Username = user.Name,
        Uid = user.Uid.Length > 0 ? user.Uid : null,
        Groups = [.. user.Groups],
        Extra = user.Extra?.ToDictionary(e => e.Key, e => (IList<string>)[.. e.Value]),
    };
}
