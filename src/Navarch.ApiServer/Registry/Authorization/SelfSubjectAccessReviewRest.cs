using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.ApiServer.Authorization;

namespace Navarch.ApiServer.Registry.Authorization;

/// <summary>
/// <c>selfsubjectaccessreviews</c> (pkg/registry/authorization/selfsubjectaccessreview, <c>kubectl auth can-i</c>):
/// whether the caller may do what the review describes, answered by the server's authorizer; nothing is stored.
/// </summary>
internal sealed class SelfSubjectAccessReviewRest(IAuthorizer authorizer) : IRestCreater
{
    public async Task<object> CreateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken)
    {
        V1SelfSubjectAccessReview review = Http.RequestBody.Deserialize<V1SelfSubjectAccessReview>(body);
        List<Navarch.Api.FieldError> errors = AccessReviews.ValidateAttributes(review.Spec?.ResourceAttributes, review.Spec?.NonResourceAttributes);
        AccessReviews.ValidateMetadata(review.Metadata, errors);
        AccessReviews.ThrowIfInvalid("SelfSubjectAccessReview", errors);
        review.Status = await AccessReviews.DecideAsync(authorizer, AccessReviews.Attributes(request.User, review.Spec!.ResourceAttributes, review.Spec.NonResourceAttributes), cancellationToken);
        review.ApiVersion = "authorization.k8s.io/v1";
        review.Kind = "SelfSubjectAccessReview";
        review.Metadata = new V1ObjectMeta();
        return AccessReviews.Answer(review);
    }
}
