using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api;
using Navarch.ApiServer.Authorization;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Registry.Authorization;

/// <summary>
/// What the access reviews share (pkg/apis/authorization/validation and pkg/registry/authorization/util): the spec's
/// checks, the authorizer attributes it describes, the review's metadata that must be empty, and the answer.
/// </summary>
internal static class AccessReviews
{
    private const string Group = "authorization.k8s.io";

    /// <summary>ValidateSelfSubjectAccessReviewSpec: exactly one of resourceAttributes and nonResourceAttributes.</summary>
    public static List<FieldError> ValidateAttributes(V1ResourceAttributes? resource, V1NonResourceAttributes? nonResource)
    {
        var errors = new List<FieldError>();
        if (resource is not null && nonResource is not null)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, "spec.nonResourceAttributes", null, "cannot be specified in combination with resourceAttributes"));
        }

        if (resource is null && nonResource is null)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, "spec.resourceAttributes", null, "exactly one of nonResourceAttributes or resourceAttributes must be specified"));
        }

        return errors;
    }

    /// <summary>ValidateSubjectAccessReviewSpec: the attributes, and a user or a group to ask about.</summary>
    public static List<FieldError> ValidateSpec(V1SubjectAccessReviewSpec? spec)
    {
        List<FieldError> errors = ValidateAttributes(spec?.ResourceAttributes, spec?.NonResourceAttributes);
        if (string.IsNullOrEmpty(spec?.User) && spec?.Groups is not { Count: > 0 })
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, "spec.user", spec?.User ?? "", "at least one of user or group must be specified"));
        }

        return errors;
    }

    /// <summary>A review's metadata must be empty (a LocalSubjectAccessReview's but for its namespace).</summary>
    public static void ValidateMetadata(V1ObjectMeta? metadata, List<FieldError> errors, bool namespaceAllowed = false)
    {
        if (metadata is null)
        {
            return;
        }

        bool empty = string.IsNullOrEmpty(metadata.Name) && string.IsNullOrEmpty(metadata.GenerateName) && string.IsNullOrEmpty(metadata.Uid)
            && string.IsNullOrEmpty(metadata.ResourceVersion) && metadata.Labels is not { Count: > 0 } && metadata.Annotations is not { Count: > 0 }
            && metadata.Finalizers is not { Count: > 0 } && metadata.OwnerReferences is not { Count: > 0 } && metadata.DeletionTimestamp is null
            && (namespaceAllowed || string.IsNullOrEmpty(metadata.NamespaceProperty));
        if (!empty)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, "metadata", null, namespaceAllowed ? "must be empty except for namespace" : "must be empty"));
        }
    }

    /// <summary>Refuses a review that has errors, as kube-apiserver does: <c>Kind.authorization.k8s.io "" is invalid</c>.</summary>
    public static void ThrowIfInvalid(string kind, IReadOnlyList<FieldError> errors)
    {
        if (errors.Count > 0)
        {
            throw ApiErrors.Invalid(kind, Group, "", errors);
        }
    }

    /// <summary>ResourceAttributesFrom / NonResourceAttributesFrom: what the review asks, for <paramref name="user"/>.</summary>
    public static RequestAttributes Attributes(UserInfo user, V1ResourceAttributes? resource, V1NonResourceAttributes? nonResource) =>
        resource is not null
            ? new RequestAttributes(user, resource.Verb ?? "", resource.Group ?? "", resource.Resource ?? "", NullIfEmpty(resource.Subresource), NullIfEmpty(resource.NamespaceProperty), NullIfEmpty(resource.Name))
            : new RequestAttributes(user, nonResource?.Verb ?? "", "", "", null, null, null, nonResource?.Path ?? "");

    /// <summary>AuthorizationAttributesFrom: the user the spec names (exactly its groups: nothing is added).</summary>
    public static RequestAttributes Attributes(V1SubjectAccessReviewSpec spec) =>
        Attributes(
            new UserInfo(spec.User ?? "", spec.Uid ?? "", [.. spec.Groups ?? []], spec.Extra?.ToDictionary(e => e.Key, e => (IReadOnlyList<string>)[.. e.Value], StringComparer.Ordinal)),
            spec.ResourceAttributes,
            spec.NonResourceAttributes);

    /// <summary>The authorizer's answer to <paramref name="attributes"/> as a review status.</summary>
    public static async Task<V1SubjectAccessReviewStatus> DecideAsync(IAuthorizer authorizer, RequestAttributes attributes, CancellationToken cancellationToken)
    {
        string? denied = await authorizer.AuthorizeAsync(attributes, cancellationToken);
        return new V1SubjectAccessReviewStatus { Allowed = denied is null, Reason = string.IsNullOrEmpty(denied) ? null : denied };
    }

    /// <summary>The review sent back, with its kind and apiVersion.</summary>
    public static JsonNode Answer<T>(T review) => JsonSerializer.SerializeToNode(review, KubernetesSerialization.Plain)!;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
