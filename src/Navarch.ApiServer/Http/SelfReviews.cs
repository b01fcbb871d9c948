using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.ApiServer.Authorization;

namespace Navarch.ApiServer.Http;

/// <summary>
/// The create-only review APIs about the caller itself, answered without storing anything: SelfSubjectReview
/// (<c>kubectl auth whoami</c>) returns the authenticated user, SelfSubjectAccessReview (<c>kubectl auth can-i</c>) asks
/// the authorizer whether the caller may do what the review describes.
/// </summary>
internal sealed class SelfReviews(IAuthorizer authorizer, TimeProvider time)
{
    private const string WhoAmI = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
    private const string CanI = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";

    /// <summary>Answers a review POST for <paramref name="user"/>; false when <paramref name="path"/> is not one.</summary>
    public async Task<bool> TryHandleAsync(HttpContext context, string path, UserInfo user)
    {
        string trimmed = path.TrimEnd('/');
        if (context.Request.Method != "POST" || trimmed is not (WhoAmI or CanI))
        {
            return false;
        }

        try
        {
            JsonNode answer;
            if (trimmed == WhoAmI)
            {
                // Read for its errors only: the review asks about the caller, nothing in it changes the answer.
                await RequestBody.ReadAsAsync<V1SelfSubjectReview>(context);
                answer = Identity(user);
            }
            else
            {
                answer = await AccessAsync(await RequestBody.ReadAsAsync<V1SelfSubjectAccessReview>(context), user, context.RequestAborted);
            }

            await Responder.WriteJsonAsync(context, 201, answer);
        }
        catch (StatusException e)
        {
            await Responder.WriteStatusAsync(context, e.Status);
        }

        return true;
    }

    private JsonNode Identity(UserInfo user) => Serialize(new V1SelfSubjectReview
    {
        ApiVersion = "authentication.k8s.io/v1",
        Kind = "SelfSubjectReview",
        Metadata = new V1ObjectMeta { CreationTimestamp = time.GetUtcNow().UtcDateTime },
        Status = new V1SelfSubjectReviewStatus
        {
            UserInfo = new V1UserInfo { Username = user.Name, Uid = user.Uid.Length > 0 ? user.Uid : null, Groups = [.. user.Groups] },
        },
    });

    private async Task<JsonNode> AccessAsync(V1SelfSubjectAccessReview review, UserInfo user, CancellationToken cancellationToken)
    {
        V1ResourceAttributes? resource = review.Spec?.ResourceAttributes;
        V1NonResourceAttributes? nonResource = review.Spec?.NonResourceAttributes;
        if ((resource is null) == (nonResource is null))
        {
            throw ApiErrors.Invalid("SelfSubjectAccessReview", "authorization.k8s.io", "", [new FieldError(FieldErrorType.Invalid, "spec.resourceAttributes", "", "exactly one of nonResourceAttributes or resourceAttributes must be specified")]);
        }

        RequestAttributes attributes = resource is not null
            ? new RequestAttributes(user, resource.Verb ?? "", resource.Group ?? "", resource.Resource ?? "", NullIfEmpty(resource.Subresource), NullIfEmpty(resource.NamespaceProperty), NullIfEmpty(resource.Name))
            : new RequestAttributes(user, nonResource!.Verb ?? "", "", "", null, null, null, nonResource.Path ?? "");
        string? denied = await authorizer.AuthorizeAsync(attributes, cancellationToken);
        review.ApiVersion = "authorization.k8s.io/v1";
        review.Kind = "SelfSubjectAccessReview";
        review.Metadata ??= new V1ObjectMeta();
        review.Metadata.CreationTimestamp = time.GetUtcNow().UtcDateTime;
        review.Status = new V1SubjectAccessReviewStatus { Allowed = denied is null, Reason = string.IsNullOrEmpty(denied) ? null : denied };
        return Serialize(review);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static JsonNode Serialize<T>(T value) => JsonSerializer.SerializeToNode(value, KubernetesSerialization.Plain)!;
}
