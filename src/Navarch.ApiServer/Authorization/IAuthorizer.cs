using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Authorization;

/// <summary>
/// What a request wants to do, as Kubernetes' authorizer attributes; <paramref name="NonResourcePath"/> is set (and the
/// resource fields empty) for a non-resource URL such as <c>/healthz</c>. <paramref name="Fields"/> is a list's or
/// watch's field selector (a kubelet's <c>spec.nodeName=NODE</c>); a list or watch pinned to one object by
/// <c>metadata.name=NAME</c> carries that <paramref name="Name"/>, as Kubernetes' RequestInfo does.
/// </summary>
internal sealed record RequestAttributes(UserInfo User, string Verb, string Group, string Resource, string? Subresource, string? Namespace, string? Name, string? NonResourcePath = null, Navarch.Api.Selectors.FieldSelector? Fields = null);

/// <summary>Decides whether a request may proceed (RBAC, Node, or their union).</summary>
internal interface IAuthorizer
{
    /// <summary>
    /// Null to allow; otherwise no opinion, with the reason (often empty) — neither RBAC nor Node ever denies outright,
    /// as in Kubernetes, so a union asks the next one and a request nobody allows is refused.
    /// </summary>
    ValueTask<string?> AuthorizeAsync(RequestAttributes request, CancellationToken cancellationToken);
}
