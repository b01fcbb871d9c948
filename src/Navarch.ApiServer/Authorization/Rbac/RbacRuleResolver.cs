using k8s.Models;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Authorization.Rbac;

/// <summary>
/// pkg/registry/rbac/validation DefaultRuleResolver: the rules that apply to a user in a namespace — those of every
/// ClusterRoleBinding naming the user (directly, through a group, or as a service account), then of every RoleBinding in
/// the namespace — visited one by one so that the authorizer can stop at the first that allows. A binding whose role is
/// missing contributes an error instead of rules.
/// </summary>
internal sealed class RbacRuleResolver(RbacListers listers)
{
    /// <summary>
    /// Calls <paramref name="visitor"/> with each rule that applies (and the binding it came from), or with an error
    /// for a binding that could not be resolved; visiting stops when it returns false.
    /// </summary>
    public async Task VisitRulesForAsync(UserInfo user, string? ns, Func<string?, V1PolicyRule?, string?, bool> visitor, CancellationToken cancellationToken)
    {
        foreach (V1ClusterRoleBinding binding in await listers.ClusterRoleBindingsAsync(cancellationToken))
        {
            if (AppliesTo(user, binding.Subjects, "") is not { } subject)
            {
                continue;
            }

            (IList<V1PolicyRule>? rules, string? error) = await RoleReferenceRulesAsync(binding.RoleRef, "", cancellationToken);
            if (error is not null)
            {
                if (!visitor(null, null, error))
                {
                    return;
                }

                continue;
            }

            string source = $"ClusterRoleBinding \"{binding.Metadata.Name}\" of {binding.RoleRef.Kind} \"{binding.RoleRef.Name}\" to {Describe(subject, "")}";
            foreach (V1PolicyRule rule in rules ?? [])
            {
                if (!visitor(source, rule, null))
                {
                    return;
                }
            }
        }

        if (string.IsNullOrEmpty(ns))
        {
            return;
        }

        foreach (V1RoleBinding binding in await listers.RoleBindingsAsync(ns, cancellationToken))
        {
            if (AppliesTo(user, binding.Subjects, ns) is not { } subject)
            {
                continue;
            }

            (IList<V1PolicyRule>? rules, string? error) = await RoleReferenceRulesAsync(binding.RoleRef, ns, cancellationToken);
            if (error is not null)
            {
                if (!visitor(null, null, error))
                {
                    return;
                }

                continue;
            }

            string source = $"RoleBinding \"{binding.Metadata.Name}/{ns}\" of {binding.RoleRef.Kind} \"{binding.RoleRef.Name}\" to {Describe(subject, ns)}";
            foreach (V1PolicyRule rule in rules ?? [])
            {
                if (!visitor(source, rule, null))
                {
                    return;
                }
            }
        }
    }

    /// <summary>Every rule that applies to <paramref name="user"/> in <paramref name="ns"/>, and the resolution errors met.</summary>
    public async Task<(List<V1PolicyRule> Rules, List<string> Errors)> RulesForAsync(UserInfo user, string? ns, CancellationToken cancellationToken)
    {
        var rules = new List<V1PolicyRule>();
        var errors = new List<string>();
        await VisitRulesForAsync(user, ns, (_, rule, error) =>
        {
            if (rule is not null)
            {
                rules.Add(rule);
            }

            if (error is not null)
            {
                errors.Add(error);
            }

            return true;
        }, cancellationToken);
        return (rules, errors);
    }

    /// <summary>
    /// The rules of the role a binding refers to, or the reason they cannot be had (the lister's NotFound, as the
    /// authorizer reports it). <paramref name="bindingNamespace"/> is "" for a ClusterRoleBinding.
    /// </summary>
    public async Task<(IList<V1PolicyRule>? Rules, string? Error)> RoleReferenceRulesAsync(V1RoleRef? roleRef, string bindingNamespace, CancellationToken cancellationToken)
    {
        switch (roleRef?.Kind)
        {
            case "Role":
                return bindingNamespace.Length > 0 && await listers.RoleAsync(bindingNamespace, roleRef.Name, cancellationToken) is { } role
                    ? (role.Rules ?? [], null)
                    : (null, $"role.rbac.authorization.k8s.io \"{roleRef.Name}\" not found");
            case "ClusterRole":
                return await listers.ClusterRoleAsync(roleRef.Name, cancellationToken) is { } clusterRole
                    ? (clusterRole.Rules ?? [], null)
                    : (null, $"clusterrole.rbac.authorization.k8s.io \"{roleRef.Name}\" not found");
            default:
                return (null, $"unsupported role reference kind: {PolicyRuleFormat.Quote(roleRef?.Kind ?? "")}");
        }
    }

    /// <summary>utilerrors.NewAggregate(errs).Error(): one message as it is, several (duplicates dropped) in brackets.</summary>
    public static string Aggregate(IReadOnlyList<string> errors)
    {
        if (errors.Count == 1)
        {
            return errors[0];
        }

        List<string> distinct = errors.Distinct(StringComparer.Ordinal).ToList();
        return distinct.Count == 1 ? distinct[0] : "[" + string.Join(", ", distinct) + "]";
    }

    /// <summary>The first subject that names <paramref name="user"/>, or null.</summary>
    private static Rbacv1Subject? AppliesTo(UserInfo user, IList<Rbacv1Subject>? subjects, string ns) =>
        subjects?.FirstOrDefault(s => s.Kind switch
        {
            "User" => s.Name == user.Name,
            "Group" => user.Groups.Contains(s.Name),
            // A RoleBinding may leave the account's namespace out: its own is meant.
            "ServiceAccount" => (string.IsNullOrEmpty(s.NamespaceProperty) ? ns : s.NamespaceProperty) is { Length: > 0 } saNamespace
                && user.Name == $"system:serviceaccount:{saNamespace}:{s.Name}",
            _ => false,
        });

    private static string Describe(Rbacv1Subject subject, string bindingNamespace) => subject.Kind == "ServiceAccount"
        ? $"{subject.Kind} \"{subject.Name}/{(string.IsNullOrEmpty(subject.NamespaceProperty) ? bindingNamespace : subject.NamespaceProperty)}\""
        : $"{subject.Kind} \"{subject.Name}\"";
}
