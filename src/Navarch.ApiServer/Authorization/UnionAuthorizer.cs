namespace Navarch.ApiServer.Authorization;

/// <summary>
/// Authorizers asked in order (<c>--authorization-mode Node,RBAC</c>; k8s.io/apiserver's union authorizer): the first
/// that allows wins; when none does, the request is refused with their reasons, one per line.
/// </summary>
internal sealed class UnionAuthorizer(IReadOnlyList<IAuthorizer> authorizers) : IAuthorizer
{
    public async ValueTask<string?> AuthorizeAsync(RequestAttributes request, CancellationToken cancellationToken)
    {
        List<string> reasons = [];
        foreach (IAuthorizer authorizer in authorizers)
        {
            if (await authorizer.AuthorizeAsync(request, cancellationToken) is not { } reason)
            {
                return null;
            }

            if (reason.Length > 0)
            {
                reasons.Add(reason);
            }
        }

        return string.Join("\n", reasons);
    }
}
