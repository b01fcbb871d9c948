using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Audit;

/// <summary>
/// k8s.io/apiserver's audit policy checker: the first rule matching a request gives its level and (joined with the
/// policy's) its omitted stages; no match is <see cref="AuditLevel.None"/>. Matching is a pure function of the rule and
/// the request's attributes.
/// </summary>
internal sealed class PolicyRuleEvaluator
{
    private readonly Policy _policy;
    private readonly RequestAuditConfig[] _configs;
    private readonly RequestAuditConfig _default;

    public PolicyRuleEvaluator(Policy policy)
    {
        _policy = policy;
        _configs = policy.Rules.Select(r => new RequestAuditConfig(r.Level, Union(policy.OmitStages, r.OmitStages), r.OmitManagedFields ?? policy.OmitManagedFields)).ToArray();
        _default = new RequestAuditConfig(AuditLevel.None, Union(policy.OmitStages, []), policy.OmitManagedFields);
    }

    /// <summary>What the policy says about a request.</summary>
    public RequestAuditConfig Evaluate(AuditAttributes attributes)
    {
        for (int i = 0; i < _configs.Length; i++)
        {
            if (RuleMatches(_policy.Rules[i], attributes))
            {
                return _configs[i];
            }
        }

        return _default;
    }

    /// <summary>Whether a request matches every field of <paramref name="rule"/> (checker.go's ruleMatches).</summary>
    public static bool RuleMatches(PolicyRule rule, AuditAttributes attributes)
    {
        UserInfo? user = attributes.User;
        if (rule.Users.Count > 0 && (user is null || !rule.Users.Contains(user.Name, StringComparer.Ordinal)))
        {
            return false;
        }

        if (rule.UserGroups.Count > 0 && (user is null || !user.Groups.Any(g => rule.UserGroups.Contains(g, StringComparer.Ordinal))))
        {
            return false;
        }

        if (rule.Verbs.Count > 0 && !rule.Verbs.Contains(attributes.Verb, StringComparer.Ordinal))
        {
            return false;
        }

        if (rule.Namespaces.Count > 0 || rule.Resources.Count > 0)
        {
            return ResourceMatches(rule, attributes);
        }

        return rule.NonResourceUrls.Count == 0 || NonResourceMatches(rule, attributes);
    }

    /// <summary>A non-resource URL matches <c>*</c>, itself, or a spec ending in <c>*</c> that it starts with.</summary>
    public static bool PathMatches(string path, string spec) =>
        spec == "*" || spec == path || (spec.EndsWith('*') && path.StartsWith(spec.TrimEnd('*'), StringComparison.Ordinal));

    private static bool NonResourceMatches(PolicyRule rule, AuditAttributes attributes) =>
        !attributes.IsResourceRequest && rule.NonResourceUrls.Any(spec => PathMatches(attributes.Path, spec));

    private static bool ResourceMatches(PolicyRule rule, AuditAttributes attributes)
    {
        if (!attributes.IsResourceRequest)
        {
            return false;
        }

        // The cluster scope is the empty namespace.
        if (rule.Namespaces.Count > 0 && !rule.Namespaces.Contains(attributes.Namespace, StringComparer.Ordinal))
        {
            return false;
        }

        if (rule.Resources.Count == 0)
        {
            return true;
        }

        string resource = attributes.Resource;
        string subresource = attributes.Subresource;
        string combined = subresource.Length == 0 ? resource : resource + "/" + subresource;
        foreach (GroupResources gr in rule.Resources)
        {
            if (gr.Group != attributes.Group)
            {
                continue;
            }

            if (gr.Resources.Count == 0)
            {
                return true;
            }

            if (gr.ResourceNames.Count > 0 && !gr.ResourceNames.Contains(attributes.Name, StringComparer.Ordinal))
            {
                continue;
            }

            foreach (string res in gr.Resources)
            {
                if (res == combined || res == "*"
                    || (subresource.Length > 0 && res.StartsWith("*/", StringComparison.Ordinal) && res[2..] == subresource)
                    || (res.EndsWith("/*", StringComparison.Ordinal) && res[..^2] == resource))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static HashSet<AuditStage> Union(IReadOnlyList<AuditStage> policy, IReadOnlyList<AuditStage> rule) => [.. policy, .. rule];
}
