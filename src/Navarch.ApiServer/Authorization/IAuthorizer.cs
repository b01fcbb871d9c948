using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Authorization;

/// <summary>
/// What a request wants to do, as Kubernetes' authorizer attributes; <paramref name="NonResourcePath"/> is set (and the
/// resource fields empty) for a non-resource URL such as <c>/healthz</c>.
/// </summary>
internal sealed record RequestAttributes(UserInfo User, string Verb, string Group, string Resource, string? Subresource, string? Namespace, string? Name, string? NonResourcePath = null);

/// <summary>Decides whether a request may proceed (RBAC will implement this).</summary>
internal interface IAuthorizer
{
    /// <summary>Null to allow; otherwise the reason for denying.</summary>
    ValueTask<string?> AuthorizeAsync(RequestAttributes request, CancellationToken cancellationToken);
}
