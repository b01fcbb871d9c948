using Navarch.Api;
using Navarch.Api.Validation;

namespace Navarch.ApiServer.Audit;

/// <summary>
/// The checks of k8s.io/apiserver's audit policy validation, on the policy file's fields as written (before they are
/// typed), with Kubernetes' field paths and messages: each rule's level, non-resource URLs, resource groups and
/// names, omitted stages, and that a rule is not about both resources and non-resource URLs.
/// </summary>
internal static class PolicyValidation
{
    public static readonly string[] Levels = [nameof(AuditLevel.None), nameof(AuditLevel.Metadata), nameof(AuditLevel.Request), nameof(AuditLevel.RequestResponse)];

    public static readonly string[] Stages = [nameof(AuditStage.RequestReceived), nameof(AuditStage.ResponseStarted), nameof(AuditStage.ResponseComplete), nameof(AuditStage.Panic)];

    /// <summary>The field errors of rule <paramref name="index"/>.</summary>
    public static IEnumerable<FieldError> ValidateRule(int index, string level, IReadOnlyList<string> nonResourceUrls, IReadOnlyList<(string Group, IReadOnlyList<string> Resources, IReadOnlyList<string> ResourceNames)> resources, IReadOnlyList<string> namespaces, IReadOnlyList<string> omitStages)
    {
        string path = $"rules[{index}]";
        if (level.Length == 0)
        {
            yield return new FieldError(FieldErrorType.Required, path + ".level", null, "");
        }
        else if (!Levels.Contains(level, StringComparer.Ordinal))
        {
            yield return new FieldError(FieldErrorType.NotSupported, path + ".level", level, "supported values: " + string.Join(", ", Levels.Select(l => $"\"{l}\"")));
        }

        for (int i = 0; i < nonResourceUrls.Count; i++)
        {
            string url = nonResourceUrls[i];
            if (url == "*")
            {
                continue;
            }

            if (!url.StartsWith('/'))
            {
                yield return new FieldError(FieldErrorType.Invalid, $"{path}.nonResourceURLs[{i}]", url, "non-resource URL rules must begin with a '/' character");
            }

            if (url.Length > 0 && url[..^1].Contains('*', StringComparison.Ordinal))
            {
                yield return new FieldError(FieldErrorType.Invalid, $"{path}.nonResourceURLs[{i}]", url, "non-resource URL wildcards '*' must be the final character of the rule");
            }
        }

        // As Kubernetes, these paths carry no index of the group resource.
        foreach ((string group, IReadOnlyList<string> names, IReadOnlyList<string> resourceNames) in resources)
        {
            if (group.Length > 0 && MetadataValidation.NameProblems(group, NameRule.Subdomain).ToList() is { Count: > 0 } problems)
            {
                yield return new FieldError(FieldErrorType.Invalid, path + ".resources.group", group, string.Join(",", problems));
            }

            if (resourceNames.Count > 0 && names.Count == 0)
            {
                yield return new FieldError(FieldErrorType.Invalid, path + ".resources.resourceNames", new GoStrings(resourceNames), "using resourceNames requires at least one resource");
            }
        }

        for (int i = 0; i < omitStages.Count; i++)
        {
            if (!Stages.Contains(omitStages[i], StringComparer.Ordinal))
            {
                yield return new FieldError(FieldErrorType.Invalid, $"{path}.omitStages[{i}]", omitStages[i], "allowed stages are " + string.Join(",", Stages));
            }
        }

        if (nonResourceUrls.Count > 0 && (resources.Count > 0 || namespaces.Count > 0))
        {
            yield return new FieldError(FieldErrorType.Invalid, path + ".nonResourceURLs", new GoStrings(nonResourceUrls), "rules cannot apply to both regular resources and non-resource URLs");
        }
    }

    /// <summary>A string list printed as Go's <c>%#v</c> prints a <c>[]string</c>, as Kubernetes' messages show it.</summary>
    private sealed record GoStrings(IReadOnlyList<string> Values)
    {
        public override string ToString() => "[]string{" + string.Join(", ", Values.Select(v => $"\"{v}\"")) + "}";
    }
}
