using k8s.Models;
using Navarch.Api.Selectors;

namespace Navarch.Api.Rbac;

/// <summary>
/// What a ClusterRole with an aggregationRule holds (pkg/controller/clusterroleaggregation): the rules of every other
/// ClusterRole its selectors select, selector by selector and role by role in name order, each rule once. The
/// aggregation controller writes this; the API server fills its default aggregated roles the same way at first start.
/// </summary>
public static class ClusterRoleAggregation
{
    /// <summary>
    /// The rules <paramref name="role"/> aggregates from <paramref name="clusterRoles"/>, or null when it has no
    /// aggregationRule.
    /// </summary>
    public static List<V1PolicyRule>? Rules(V1ClusterRole role, IEnumerable<V1ClusterRole> clusterRoles)
    {
        ArgumentNullException.ThrowIfNull(role);
        if (role.AggregationRule is not { } aggregation)
        {
            return null;
        }

        List<V1ClusterRole> byName = clusterRoles.OrderBy(r => r.Metadata.Name, StringComparer.Ordinal).ToList();
        var rules = new List<V1PolicyRule>();
        foreach (V1LabelSelector selector in aggregation.ClusterRoleSelectors ?? [])
        {
            foreach (V1ClusterRole selected in byName.Where(r => r.Metadata.Name != role.Metadata.Name && selector.Matches(r.Metadata.Labels)))
            {
                foreach (V1PolicyRule rule in selected.Rules ?? [])
                {
                    if (!rules.Any(existing => KubernetesSerialization.JsonEquals(existing, rule)))
                    {
                        rules.Add(rule);
                    }
                }
            }
        }

        return rules;
    }

    /// <summary>
    /// Fills the rules of every aggregated role in <paramref name="clusterRoles"/> from the others, again until nothing
    /// changes, so that roles aggregating aggregated roles (admin ⊃ edit ⊃ view) are complete — what the controller
    /// reaches by re-syncing every aggregated role after each change.
    /// </summary>
    public static void AggregateAll(IReadOnlyList<V1ClusterRole> clusterRoles)
    {
        ArgumentNullException.ThrowIfNull(clusterRoles);
        for (int round = 0; round <= clusterRoles.Count; round++)
        {
            bool changed = false;
            foreach (V1ClusterRole role in clusterRoles)
            {
                if (Rules(role, clusterRoles) is { } rules && !KubernetesSerialization.JsonEquals(rules, role.Rules ?? []))
                {
                    role.Rules = rules;
                    changed = true;
                }
            }

            if (!changed)
            {
                return;
            }
        }
    }
}
