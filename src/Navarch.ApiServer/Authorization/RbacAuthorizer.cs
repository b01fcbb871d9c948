using k8s.Models;
using Navarch.ApiServer.Authorization.Rbac;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Authorization;

/// <summary>
/// Kubernetes' RBAC authorizer (<c>--authorization-mode RBAC</c>, plugin/pkg/auth/authorizer/rbac): members of
/// <c>system:masters</c> may do anything (kube-apiserver's privileged-group authorizer); anyone else what a rule of a
/// role bound to them allows (<see cref="RbacRuleResolver"/>, <see cref="RuleMatching"/>). A denial gives no reason
/// unless a binding could not be resolved (<c>RBAC: clusterrole.rbac.authorization.k8s.io "x" not found</c>).
/// </summary>
internal sealed class RbacAuthorizer(RbacRuleResolver resolver) : IAuthorizer, IRuleResolver
{
    /// <summary>The group whose members bypass authorization, as in Kubernetes.</summary>
    public const string Superusers = "system:masters";

    public async ValueTask<string?> AuthorizeAsync(RequestAttributes request, CancellationToken cancellationToken)
    {
        if (request.User.Groups.Contains(Superusers))
        {
            return null;
        }

        bool allowed = false;
        var errors = new List<string>();
        await resolver.VisitRulesForAsync(request.User, request.Namespace, (_, rule, error) =>
        {
            if (rule is not null && RuleMatching.Allows(rule, request))
            {
                allowed = true;
                return false;
            }

            if (error is not null)
            {
                errors.Add(error);
            }

            return true;
        }, cancellationToken);
        if (allowed)
        {
            return null;
        }

        return errors.Count == 0 ? "" : "RBAC: " + RbacRuleResolver.Aggregate(errors);
    }

    public async Task<SubjectRules> RulesForAsync(UserInfo user, string ns, CancellationToken cancellationToken)
    {
        (List<V1PolicyRule> rules, List<string> errors) = await resolver.RulesForAsync(user, ns, cancellationToken);
        var resourceRules = rules.Where(r => r.Resources is { Count: > 0 })
            .Select(r => new V1ResourceRule { Verbs = r.Verbs, ApiGroups = r.ApiGroups, Resources = r.Resources, ResourceNames = r.ResourceNames })
            .ToList();
        var nonResourceRules = rules.Where(r => r.NonResourceURLs is { Count: > 0 })
            .Select(r => new V1NonResourceRule { Verbs = r.Verbs, NonResourceURLs = r.NonResourceURLs })
            .ToList();
        return new SubjectRules(resourceRules, nonResourceRules, false, errors.Count == 0 ? null : RbacRuleResolver.Aggregate(errors));
    }
}
