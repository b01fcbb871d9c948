namespace Navarch.ApiServer.Authorization;

/// <summary>Every authenticated user may do everything: the authorizer until RBAC is built.</summary>
internal sealed class AllowAuthenticated : IAuthorizer
{
    public ValueTask<string?> AuthorizeAsync(RequestAttributes request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(request.User.Groups.Contains("system:authenticated") ? null : "not authenticated");
}
