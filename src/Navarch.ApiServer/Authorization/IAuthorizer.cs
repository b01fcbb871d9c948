using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Authorization;

/// <summary>What a request wants to do, as Kubernetes' authorizer attributes.</summary>
internal sealed record RequestAttributes(UserInfo User, string Verb, string Group, string Resource, string? Subresource, string? Namespace, string? Name);

/// <summary>Decides whether a request may proceed (RBAC will implement this).</summary>
internal interface IAuthorizer
{
    /// <summary>Null to allow; otherwise the reason for denying.</summary>
    ValueTask<string?> AuthorizeAsync(RequestAttributes request, CancellationToken cancellationToken);
}
