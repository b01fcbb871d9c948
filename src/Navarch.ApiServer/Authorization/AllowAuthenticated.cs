using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Authorization;

/// <summary>
/// <c>--authorization-mode AlwaysAllow</c>: every authenticated user may do everything, and a rules review says so
/// (<c>*</c> on everything), as Kubernetes' always-allow authorizer does.
/// </summary>
internal sealed class AllowAuthenticated : IAuthorizer, IRuleResolver
{
    public ValueTask<string?> AuthorizeAsync(RequestAttributes request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(request.User.Groups.Contains("system:authenticated") ? null : "not authenticated");

    public Task<SubjectRules> RulesForAsync(UserInfo user, string ns, CancellationToken cancellationToken) =>
        Task.FromResult(new SubjectRules(
            [new k8s.Models.V1ResourceRule { Verbs = ["*"], ApiGroups = ["*"], Resources = ["*"] }],
            [new k8s.Models.V1NonResourceRule { Verbs = ["*"], NonResourceURLs = ["*"] }],
            false,
            null));
}
