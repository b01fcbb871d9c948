using k8s.Models;

namespace Navarch.ApiServer.Authorization.Rbac;

/// <summary>
/// Whether one set of rules covers another (component-helpers/auth/rbac/validation Covers): every servant rule is
/// broken down into atoms of one group, resource, verb and resource name (or one non-resource URL and verb), and each
/// atom must be covered by a single owner rule. What is left over is what the owner does not hold.
/// </summary>
internal static class PolicyComparator
{
    /// <summary>True when <paramref name="ownerRules"/> cover <paramref name="servantRules"/>, and the atoms they do not.</summary>
    public static (bool Covers, List<V1PolicyRule> Uncovered) Covers(IEnumerable<V1PolicyRule> ownerRules, IEnumerable<V1PolicyRule> servantRules)
    {
        List<V1PolicyRule> owners = ownerRules.ToList();
        List<V1PolicyRule> uncovered = servantRules.SelectMany(Breakdown).Where(atom => !owners.Any(owner => RuleCovers(owner, atom))).ToList();
        return (uncovered.Count == 0, uncovered);
    }

    /// <summary>The equivalent rules with at most one verb, resource and resource name (or one URL) each.</summary>
    public static IEnumerable<V1PolicyRule> Breakdown(V1PolicyRule rule)
    {
        foreach (string group in rule.ApiGroups ?? [])
        {
            foreach (string resource in rule.Resources ?? [])
            {
                foreach (string verb in rule.Verbs ?? [])
                {
                    if (rule.ResourceNames is { Count: > 0 } names)
                    {
                        foreach (string name in names)
                        {
                            yield return new V1PolicyRule { ApiGroups = [group], Resources = [resource], Verbs = [verb], ResourceNames = [name] };
                        }
                    }
                    else
                    {
                        yield return new V1PolicyRule { ApiGroups = [group], Resources = [resource], Verbs = [verb] };
                    }
                }
            }
        }

        // Non-resource URLs combine with verbs only.
        foreach (string url in rule.NonResourceURLs ?? [])
        {
            foreach (string verb in rule.Verbs ?? [])
            {
                yield return new V1PolicyRule { NonResourceURLs = [url], Verbs = [verb] };
            }
        }
    }

    /// <summary>Whether an owner rule (any size) covers a broken-down atom.</summary>
    private static bool RuleCovers(V1PolicyRule owner, V1PolicyRule atom)
    {
        bool verbs = Has(owner.Verbs, "*") || HasAll(owner.Verbs, atom.Verbs);
        bool groups = Has(owner.ApiGroups, "*") || HasAll(owner.ApiGroups, atom.ApiGroups);
        bool resources = ResourceCoversAll(owner.Resources, atom.Resources);
        bool urls = atom.NonResourceURLs?.All(path => owner.NonResourceURLs?.Any(o => NonResourceUrlCovers(o, path)) == true) ?? true;
        bool names = atom.ResourceNames is not { Count: > 0 }
            ? owner.ResourceNames is not { Count: > 0 }
            : owner.ResourceNames is not { Count: > 0 } || HasAll(owner.ResourceNames, atom.ResourceNames);
        return verbs && groups && resources && names && urls;
    }

    private static bool ResourceCoversAll(IList<string>? owned, IList<string>? wanted)
    {
        if (Has(owned, "*") || HasAll(owned, wanted))
        {
            return true;
        }

        foreach (string path in wanted ?? [])
        {
            if (Has(owned, path))
            {
                continue;
            }

            // Only a subresource can be covered by */subresource.
            int slash = path.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0 || !Has(owned, "*/" + path[(slash + 1)..]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool NonResourceUrlCovers(string owner, string path) =>
        owner == path || (owner.EndsWith('*') && path.StartsWith(owner.TrimEnd('*'), StringComparison.Ordinal));

    private static bool Has(IList<string>? set, string value) => set?.Contains(value) == true;

    private static bool HasAll(IList<string>? set, IList<string>? values) =>
        values is null || values.All(v => set?.Contains(v) == true);
}
