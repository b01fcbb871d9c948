using k8s.Models;

namespace Navarch.ApiServer.Authorization.Rbac;

/// <summary>
/// Whether one RBAC rule allows a request (pkg/apis/rbac/v1 evaluation_helpers and the RBAC authorizer's RuleAllows):
/// verbs, API groups, resources (<c>*</c>, <c>resource/subresource</c>, <c>*/subresource</c>), resource names, and
/// non-resource URLs (<c>*</c> and a trailing <c>*</c> as a prefix).
/// </summary>
internal static class RuleMatching
{
    /// <summary>True when <paramref name="rule"/> allows <paramref name="request"/>.</summary>
    public static bool Allows(V1PolicyRule rule, RequestAttributes request)
    {
        if (request.NonResourcePath is { } path)
        {
            return VerbMatches(rule, request.Verb) && NonResourceUrlMatches(rule, path);
        }

        string combined = request.Subresource is { Length: > 0 } sub ? $"{request.Resource}/{sub}" : request.Resource;
        return VerbMatches(rule, request.Verb)
            && ApiGroupMatches(rule, request.Group)
            && ResourceMatches(rule, combined, request.Subresource ?? "")
            && ResourceNameMatches(rule, request.Name ?? "");
    }

    /// <summary>True when any of <paramref name="rules"/> allows <paramref name="request"/>.</summary>
    public static bool AnyAllows(IEnumerable<V1PolicyRule>? rules, RequestAttributes request) =>
        rules?.Any(rule => Allows(rule, request)) == true;

    public static bool VerbMatches(V1PolicyRule rule, string verb) =>
        rule.Verbs?.Any(v => v == "*" || v == verb) == true;

    public static bool ApiGroupMatches(V1PolicyRule rule, string group) =>
        rule.ApiGroups?.Any(g => g == "*" || g == group) == true;

    public static bool ResourceMatches(V1PolicyRule rule, string combinedResource, string subresource) =>
        rule.Resources?.Any(r => r == "*" || r == combinedResource
            || (subresource.Length > 0 && r.Length == subresource.Length + 2 && r.StartsWith("*/", StringComparison.Ordinal) && r.EndsWith(subresource, StringComparison.Ordinal))) == true;

    /// <summary>A rule without resource names matches every name; one with names only those (so never a list).</summary>
    public static bool ResourceNameMatches(V1PolicyRule rule, string name) =>
        rule.ResourceNames is not { Count: > 0 } names || names.Contains(name);

    public static bool NonResourceUrlMatches(V1PolicyRule rule, string path) =>
        rule.NonResourceURLs?.Any(u => u == "*" || u == path || (u.EndsWith('*') && path.StartsWith(u.TrimEnd('*'), StringComparison.Ordinal))) == true;
}
