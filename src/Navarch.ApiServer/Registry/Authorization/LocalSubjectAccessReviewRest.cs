using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api;
using Navarch.ApiServer.Authorization;

namespace Navarch.ApiServer.Registry.Authorization;

/// <summary>
/// <c>namespaces/{ns}/localsubjectaccessreviews</c> (pkg/registry/authorization/localsubjectaccessreview): a
/// SubjectAccessReview confined to one namespace — which a namespace admin may create — so its resource attributes must
/// be in the namespace of the URL, and non-resource attributes are refused.
/// </summary>
internal sealed class LocalSubjectAccessReviewRest(IAuthorizer authorizer) : IRestCreater
{
    public async Task<object> CreateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken)
    {
        V1LocalSubjectAccessReview review = Http.RequestBody.Deserialize<V1LocalSubjectAccessReview>(body);
        review.Metadata ??= new V1ObjectMeta();
        string ns = request.Info.Namespace ?? "";
        List<FieldError> errors = AccessReviews.ValidateSpec(review.Spec);
        AccessReviews.ValidateMetadata(review.Metadata, errors, namespaceAllowed: true);
        if (review.Spec?.ResourceAttributes is { } resource && (resource.NamespaceProperty ?? "") != (review.Metadata.NamespaceProperty ?? ""))
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, "spec.resourceAttributes.namespace", resource.NamespaceProperty ?? "", "must match metadata.namespace"));
        }

        if (review.Spec?.NonResourceAttributes is not null)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, "spec.nonResourceAttributes", null, "disallowed on this kind of request"));
        }

        AccessReviews.ThrowIfInvalid("LocalSubjectAccessReview", errors);
        if (ns != review.Metadata.NamespaceProperty)
        {
            throw ApiErrors.BadRequest($"spec.resourceAttributes.namespace must match namespace: {ns}");
        }

        review.Status = await AccessReviews.DecideAsync(authorizer, AccessReviews.Attributes(review.Spec!), cancellationToken);
        review.ApiVersion = "authorization.k8s.io/v1";
        review.Kind = "LocalSubjectAccessReview";
        review.Metadata = new V1ObjectMeta { NamespaceProperty = ns };
        return AccessReviews.Answer(review);
    }
}
