using k8s.Models;
using Navarch.ApiServer.Authorization;
using Navarch.ApiServer.Authorization.Rbac;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Registry.Rbac;

/// <summary>
/// RBAC's escalation prevention (pkg/registry/rbac/escalation_check.go and validation.ConfirmNoEscalation): a writer
/// may grant only what it holds, unless it is in <c>system:masters</c>, has <c>escalate</c> on the role, or (for a
/// binding) <c>bind</c> on the role it refers to.
/// </summary>
internal sealed class EscalationCheck(IAuthorizer authorizer, RbacRuleResolver resolver)
{
    private const string RbacGroup = "rbac.authorization.k8s.io";

    /// <summary>What an aggregationRule needs, since it can gather anything: <c>*</c> on everything.</summary>
    public static IReadOnlyList<V1PolicyRule> FullAuthority { get; } =
    [
        new V1PolicyRule { ApiGroups = ["*"], Resources = ["*"], Verbs = ["*"] },
        new V1PolicyRule { NonResourceURLs = ["*"], Verbs = ["*"] },
    ];

    /// <summary>The rule resolver the checks read.</summary>
    public RbacRuleResolver Resolver => resolver;

    /// <summary>EscalationAllowed: members of <c>system:masters</c> (the server's own loopback identity) may grant anything.</summary>
    public static bool EscalationAllowed(UserInfo user) => user.Groups.Contains(RbacAuthorizer.Superusers);

    /// <summary>RoleEscalationAuthorized: the writer has the <c>escalate</c> verb on the role resource of the request.</summary>
    public async Task<bool> RoleEscalationAuthorizedAsync(UserInfo user, RequestInfo info, CancellationToken cancellationToken) =>
        info.IsResourceRequest && info.Group == RbacGroup && info.Resource is "roles" or "clusterroles"
        && await authorizer.AuthorizeAsync(new RequestAttributes(user, "escalate", info.Group, info.Resource, null, info.Namespace, info.Name), cancellationToken) is null;

    /// <summary>
    /// BindingAuthorized: the writer has the <c>bind</c> verb on the role <paramref name="roleRef"/> names, in the
    /// binding's namespace (null for a ClusterRoleBinding).
    /// </summary>
    public async Task<bool> BindingAuthorizedAsync(UserInfo user, V1RoleRef roleRef, string? bindingNamespace, CancellationToken cancellationToken)
    {
        string? resource = roleRef.Kind switch { "ClusterRole" => "clusterroles", "Role" => "roles", _ => null };
        return resource is not null
            && await authorizer.AuthorizeAsync(new RequestAttributes(user, "bind", roleRef.ApiGroup ?? "", resource, null, bindingNamespace, roleRef.Name), cancellationToken) is null;
    }

    /// <summary>
    /// ConfirmNoEscalation: null when the rules <paramref name="user"/> holds in <paramref name="ns"/> cover
    /// <paramref name="rules"/>; else Kubernetes' message naming the user, its groups and the missing rules, compacted.
    /// </summary>
    public async Task<string?> ConfirmNoEscalationAsync(UserInfo user, string? ns, IEnumerable<V1PolicyRule> rules, CancellationToken cancellationToken)
    {
        (List<V1PolicyRule> owned, List<string> errors) = await resolver.RulesForAsync(user, ns, cancellationToken);
        (bool covers, List<V1PolicyRule> missing) = PolicyComparator.Covers(owned, rules);
        if (covers)
        {
            return null;
        }

        IEnumerable<string> descriptions = PolicyRuleCompactor.Compact(missing).Select(PolicyRuleFormat.CompactString).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        string message = $"user {PolicyRuleFormat.Quote(user.Name)} (groups={PolicyRuleFormat.Quote(user.Groups)}) is attempting to grant RBAC permissions not currently held:\n{string.Join("\n", descriptions)}";
        return errors.Count == 0 ? message : $"{message}; resolution errors: [{RbacRuleResolver.Aggregate(errors)}]";
    }
}
