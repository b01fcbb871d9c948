using k8s.Models;

namespace Navarch.ApiServer.Authorization.Rbac;

/// <summary>
/// pkg/registry/rbac/validation CompactRules: rules of one API group and one resource with nothing but verbs are
/// merged into one rule per group/resource (the verbs in the order met) — what makes the list of missing atoms from
/// <see cref="PolicyComparator.Covers"/> readable in an escalation error.
/// </summary>
internal static class PolicyRuleCompactor
{
    public static List<V1PolicyRule> Compact(IEnumerable<V1PolicyRule> rules)
    {
        var compacted = new List<V1PolicyRule>();
        var simple = new Dictionary<(string Group, string Resource), V1PolicyRule>();
        var order = new List<(string Group, string Resource)>();
        foreach (V1PolicyRule rule in rules)
        {
            if (rule.ResourceNames is not { Count: > 0 } && rule.NonResourceURLs is not { Count: > 0 }
                && rule.ApiGroups is { Count: 1 } groups && rule.Resources is { Count: 1 } resources)
            {
                var key = (groups[0], resources[0]);
                if (simple.TryGetValue(key, out V1PolicyRule? existing))
                {
                    existing.Verbs = [.. existing.Verbs ?? [], .. rule.Verbs ?? []];
                }
                else
                {
                    simple[key] = new V1PolicyRule { ApiGroups = [groups[0]], Resources = [resources[0]], Verbs = [.. rule.Verbs ?? []] };
                    order.Add(key);
                }
            }
            else
            {
                compacted.Add(rule);
            }
        }

        compacted.AddRange(order.Select(key => simple[key]));
        return compacted;
    }
}
