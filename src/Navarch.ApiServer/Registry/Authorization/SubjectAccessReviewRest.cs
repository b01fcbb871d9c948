using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.ApiServer.Authorization;

namespace Navarch.ApiServer.Registry.Authorization;

/// <summary>
/// <c>subjectaccessreviews</c> (pkg/registry/authorization/subjectaccessreview): whether the user and groups the spec
/// names may do what it describes, answered by the server's authorizer — how webhooks and aggregated servers delegate
/// authorization; nothing is stored.
/// </summary>
internal sealed class SubjectAccessReviewRest(IAuthorizer authorizer) : IRestCreater
{
    public async Task<object> CreateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken)
    {
        V1SubjectAccessReview review = Http.RequestBody.Deserialize<V1SubjectAccessReview>(body);
        List<Navarch.Api.FieldError> errors = AccessReviews.ValidateSpec(review.Spec);
        AccessReviews.ValidateMetadata(review.Metadata, errors);
        AccessReviews.ThrowIfInvalid("SubjectAccessReview", errors);
        review.Status = await AccessReviews.DecideAsync(authorizer, AccessReviews.Attributes(review.Spec!), cancellationToken);
        review.ApiVersion = "authorization.k8s.io/v1";
        review.Kind = "SubjectAccessReview";
        review.Metadata = new V1ObjectMeta();
        return AccessReviews.Answer(review);
    }
}
