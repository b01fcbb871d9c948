using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Authorization;

/// <summary>
/// An authorizer that can also list what a user may do in a namespace (k8s.io/apiserver's authorizer.RuleResolver):
/// the answer to a SelfSubjectRulesReview (<c>kubectl auth can-i --list</c>).
/// </summary>
internal interface IRuleResolver
{
    /// <summary>The rules that apply to <paramref name="user"/> in <paramref name="ns"/>.</summary>
    Task<SubjectRules> RulesForAsync(UserInfo user, string ns, CancellationToken cancellationToken);
}
