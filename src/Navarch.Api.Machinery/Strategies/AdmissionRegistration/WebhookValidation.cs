using System.Globalization;
using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.AdmissionRegistration;

/// <summary>
/// What Kubernetes' admissionregistration validation checks on one webhook of a Mutating- or
/// ValidatingWebhookConfiguration (the two kinds share every field but <c>reinvocationPolicy</c>), with its messages.
/// </summary>
internal static class WebhookValidation
{
    private static readonly SupportedValues FailurePolicies = new("Fail", "Ignore");
    private static readonly SupportedValues MatchPolicies = new("Equivalent", "Exact");
    private static readonly SupportedValues NoSideEffects = new("None", "NoneOnDryRun");
    private static readonly SupportedValues Operations = new("*", "CONNECT", "CREATE", "DELETE", "UPDATE");
    private static readonly SupportedValues Scopes = new("*", "Cluster", "Namespaced");
    private static readonly string[] ReviewVersions = ["v1", "v1beta1"];

    /// <summary>The fields both webhook types have.</summary>
    public sealed record Fields(
        string? Name,
        Admissionregistrationv1WebhookClientConfig? ClientConfig,
        IList<V1RuleWithOperations>? Rules,
        string? FailurePolicy,
        string? MatchPolicy,
        string? SideEffects,
        int? TimeoutSeconds,
        IList<string>? AdmissionReviewVersions,
        IList<V1MatchCondition>? MatchConditions);

    /// <summary>Kubernetes' v1 defaults for one webhook's fields shared by both kinds.</summary>
    public static void Default(
        Func<string?> failurePolicy, Action<string> setFailurePolicy,
        Func<string?> matchPolicy, Action<string> setMatchPolicy,
        Func<V1LabelSelector?> namespaceSelector, Action<V1LabelSelector> setNamespaceSelector,
        Func<V1LabelSelector?> objectSelector, Action<V1LabelSelector> setObjectSelector,
        Func<int?> timeoutSeconds, Action<int> setTimeoutSeconds,
        Admissionregistrationv1WebhookClientConfig? clientConfig,
        IList<V1RuleWithOperations>? rules)
    {
        if (failurePolicy() is null)
        {
            setFailurePolicy("Fail");
        }

        if (matchPolicy() is null)
        {
            setMatchPolicy("Equivalent");
        }

        if (namespaceSelector() is null)
        {
            setNamespaceSelector(new V1LabelSelector());
        }

        if (objectSelector() is null)
        {
            setObjectSelector(new V1LabelSelector());
        }

        if (timeoutSeconds() is null)
        {
            setTimeoutSeconds(10);
        }

        if (clientConfig?.Service is { } service)
        {
            service.Port ??= 443;
        }

        foreach (V1RuleWithOperations rule in rules ?? [])
        {
            rule.Scope ??= "*";
        }
    }

    /// <summary>The errors of every webhook of a configuration, and duplicate names.</summary>
    public static IEnumerable<FieldError> ValidateAll(IReadOnlyList<Fields> webhooks)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < webhooks.Count; i++)
        {
            string path = $"webhooks[{i}]";
            foreach (FieldError error in Validate(webhooks[i], path))
            {
                yield return error;
            }

            if (!string.IsNullOrEmpty(webhooks[i].Name) && !names.Add(webhooks[i].Name!))
            {
                yield return new FieldError(FieldErrorType.Duplicate, path + ".name", webhooks[i].Name, "");
            }
        }
    }

    private static IEnumerable<FieldError> Validate(Fields hook, string path)
    {
        foreach (FieldError error in FullyQualifiedName(path + ".name", hook.Name))
        {
            yield return error;
        }

        for (int i = 0; i < (hook.Rules?.Count ?? 0); i++)
        {
            foreach (FieldError error in Rule(hook.Rules![i], $"{path}.rules[{i}]"))
            {
                yield return error;
            }
        }

        if (hook.FailurePolicy is not null && FailurePolicies.Check(path + ".failurePolicy", hook.FailurePolicy) is { } failure)
        {
            yield return failure;
        }

        if (hook.MatchPolicy is not null && MatchPolicies.Check(path + ".matchPolicy", hook.MatchPolicy) is { } match)
        {
            yield return match;
        }

        if (hook.SideEffects is null)
        {
            yield return new FieldError(FieldErrorType.Required, path + ".sideEffects", null, "must specify one of None, NoneOnDryRun");
        }
        else if (NoSideEffects.Check(path + ".sideEffects", hook.SideEffects) is { } sideEffects)
        {
            yield return sideEffects;
        }

        if (hook.TimeoutSeconds is { } timeout && (timeout > 30 || timeout < 1))
        {
            yield return new FieldError(FieldErrorType.Invalid, path + ".timeoutSeconds", timeout, "the timeout value must be between 1 and 30 seconds");
        }

        foreach (FieldError error in ClientConfig(hook.ClientConfig, path + ".clientConfig"))
        {
            yield return error;
        }

        foreach (FieldError error in AdmissionReviewVersionList(hook.AdmissionReviewVersions, path + ".admissionReviewVersions"))
        {
            yield return error;
        }

        foreach (FieldError error in MatchConditionList(hook.MatchConditions, path + ".matchConditions"))
        {
            yield return error;
        }
    }

    /// <summary>utilvalidation.IsFullyQualifiedName: a DNS subdomain of at least three segments.</summary>
    public static IEnumerable<FieldError> FullyQualifiedName(string path, string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            yield return new FieldError(FieldErrorType.Required, path, null, "");
            yield break;
        }

        List<string> problems = MetadataValidation.NameProblems(name, NameRule.Subdomain).ToList();
        if (problems.Count > 0)
        {
            yield return new FieldError(FieldErrorType.Invalid, path, name, string.Join(",", problems));
        }
        else if (name.Split('.').Length < 3)
        {
            yield return new FieldError(FieldErrorType.Invalid, path, name, "should be a domain with at least three segments separated by dots");
        }
    }

    private static IEnumerable<FieldError> Rule(V1RuleWithOperations rule, string path)
    {
        IList<string> operations = rule.Operations ?? [];
        if (operations.Count == 0)
        {
            yield return new FieldError(FieldErrorType.Required, path + ".operations", null, "");
        }

        if (operations.Count > 1 && operations.Contains("*"))
        {
            yield return new FieldError(FieldErrorType.Invalid, path + ".operations", GoSlice("admissionregistration.OperationType", operations), "if '*' is present, must not specify other operations");
        }

        for (int i = 0; i < operations.Count; i++)
        {
            if (Operations.Check($"{path}.operations[{i}]", operations[i]) is { } error)
            {
                yield return error;
            }
        }

        foreach (FieldError error in WildcardList(rule.ApiGroups, path + ".apiGroups", "API groups", allowEmptyItems: true))
        {
            yield return error;
        }

        foreach (FieldError error in WildcardList(rule.ApiVersions, path + ".apiVersions", "API versions", allowEmptyItems: false))
        {
            yield return error;
        }

        foreach (FieldError error in Resources(rule.Resources ?? [], path + ".resources"))
        {
            yield return error;
        }

        if (rule.Scope is not null && Scopes.Check(path + ".scope", rule.Scope) is { } scope)
        {
            yield return scope;
        }
    }

    private static IEnumerable<FieldError> WildcardList(IList<string>? values, string path, string what, bool allowEmptyItems)
    {
        values ??= [];
        if (values.Count == 0)
        {
            yield return new FieldError(FieldErrorType.Required, path, null, "");
        }

        if (values.Count > 1 && values.Contains("*"))
        {
            yield return new FieldError(FieldErrorType.Invalid, path, GoSlice("string", values), $"if '*' is present, must not specify other {what}");
        }

        for (int i = 0; i < values.Count && !allowEmptyItems; i++)
        {
            if (string.IsNullOrEmpty(values[i]))
            {
                yield return new FieldError(FieldErrorType.Required, $"{path}[{i}]", null, "");
            }
        }
    }

    /// <summary>Resources with subresources: <c>x/*</c>, <c>*/x</c>, <c>*/*</c> and <c>*</c> may not overlap what else is listed.</summary>
    private static IEnumerable<FieldError> Resources(IList<string> resources, string path)
    {
        if (resources.Count == 0)
        {
            yield return new FieldError(FieldErrorType.Required, path, null, "");
        }

        var wildcardSubresources = new HashSet<string>(StringComparer.Ordinal);
        var wildcardResources = new HashSet<string>(StringComparer.Ordinal);
        bool doubleWildcard = false, singleWildcard = false, plainResource = false;
        for (int i = 0; i < resources.Count; i++)
        {
            string item = resources[i];
            if (string.IsNullOrEmpty(item))
            {
                yield return new FieldError(FieldErrorType.Required, $"{path}[{i}]", null, "");
                continue;
            }

            doubleWildcard |= item == "*/*";
            singleWildcard |= item == "*";
            string[] parts = item.Split('/', 2);
            if (parts.Length == 1)
            {
                plainResource = item != "*";
                continue;
            }

            (string resource, string sub) = (parts[0], parts[1]);
            if (wildcardSubresources.Contains(resource))
            {
                yield return new FieldError(FieldErrorType.Invalid, $"{path}[{i}]", item, $"if '{resource}/*' is present, must not specify {item}");
            }

            if (wildcardResources.Contains(sub))
            {
                yield return new FieldError(FieldErrorType.Invalid, $"{path}[{i}]", item, $"if '*/{sub}' is present, must not specify {item}");
            }

            if (sub == "*")
            {
                wildcardSubresources.Add(resource);
            }

            if (resource == "*")
            {
                wildcardResources.Add(sub);
            }
        }

        if (resources.Count > 1 && doubleWildcard)
        {
            yield return new FieldError(FieldErrorType.Invalid, path, GoSlice("string", resources), "if '*/*' is present, must not specify other resources");
        }

        if (singleWildcard && plainResource)
        {
            yield return new FieldError(FieldErrorType.Invalid, path, GoSlice("string", resources), "if '*' is present, must not specify other resources without subresources");
        }
    }

    /// <summary>clientConfig: exactly one of url (https, no user, query or fragment) and service.</summary>
    private static IEnumerable<FieldError> ClientConfig(Admissionregistrationv1WebhookClientConfig? config, string path) =>
        ClientConfig(config?.Url, config?.Service is { } s ? new ServiceReference(s.Name, s.NamespaceProperty, s.Path, s.Port) : null, path);

    /// <summary>A webhook's service, as admission webhooks and CRD conversion webhooks both name one.</summary>
    public sealed record ServiceReference(string? Name, string? Namespace, string? Path, int? Port);

    /// <summary>A client config of any webhook (apiserver's ValidateWebhookURL and ValidateWebhookService): exactly one of url and service.</summary>
    public static IEnumerable<FieldError> ClientConfig(string? url, ServiceReference? service, string path)
    {
        if ((url is null) == (service is null))
        {
            yield return new FieldError(FieldErrorType.Required, path, null, "exactly one of url or service is required");
            yield break;
        }

        if (url is not null)
        {
            string urlPath = path + ".url";
            if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri))
            {
                yield return new FieldError(FieldErrorType.Invalid, urlPath, url, "must be a valid URL");
                yield break;
            }

            if (uri.Scheme != "https")
            {
                yield return new FieldError(FieldErrorType.Invalid, urlPath, uri.Scheme, "'https' is the only allowed URL scheme");
            }

            if (uri.Host.Length == 0)
            {
                yield return new FieldError(FieldErrorType.Invalid, urlPath, uri.Host, "host must be specified");
            }

            if (uri.UserInfo.Length > 0)
            {
                yield return new FieldError(FieldErrorType.Invalid, urlPath, uri.UserInfo, "user information is not permitted in the URL");
            }

            if (uri.Fragment.Length > 0)
            {
                yield return new FieldError(FieldErrorType.Invalid, urlPath, uri.Fragment.TrimStart('#'), "fragments are not permitted in the URL");
            }

            if (uri.Query.Length > 0)
            {
                yield return new FieldError(FieldErrorType.Invalid, urlPath, uri.Query.TrimStart('?'), "query parameters are not permitted in the URL");
            }

            yield break;
        }

        string servicePath = path + ".service";
        if (string.IsNullOrEmpty(service!.Name))
        {
            yield return new FieldError(FieldErrorType.Required, servicePath + ".name", null, "service name is required");
        }

        if (string.IsNullOrEmpty(service.Namespace))
        {
            yield return new FieldError(FieldErrorType.Required, servicePath + ".namespace", null, "service namespace is required");
        }

        if (service.Port is { } port && (port < 1 || port > 65535))
        {
            yield return new FieldError(FieldErrorType.Invalid, servicePath + ".port", port, "port is not valid: must be between 1 and 65535, inclusive");
        }

        if (service.Path is { Length: > 0 } servicePathValue)
        {
            if (!servicePathValue.StartsWith('/'))
            {
                yield return new FieldError(FieldErrorType.Invalid, servicePath + ".path", servicePathValue, "must start with a '/'");
            }
            else if (servicePathValue.Contains("//", StringComparison.Ordinal))
            {
                yield return new FieldError(FieldErrorType.Invalid, servicePath + ".path", servicePathValue, "segment[" + servicePathValue.Split('/').Skip(1).TakeWhile(s => s.Length > 0).Count().ToString(CultureInfo.InvariantCulture) + "] may not be empty");
            }
        }
    }

    private static IEnumerable<FieldError> AdmissionReviewVersionList(IList<string>? versions, string path)
    {
        if (versions is null || versions.Count == 0)
        {
            yield return new FieldError(FieldErrorType.Required, path, null, "must specify one of v1, v1beta1");
            yield break;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < versions.Count; i++)
        {
            if (!seen.Add(versions[i]))
            {
                yield return new FieldError(FieldErrorType.Invalid, $"{path}[{i}]", versions[i], "duplicate version");
            }
        }

        if (!versions.Any(v => ReviewVersions.Contains(v)))
        {
            yield return new FieldError(FieldErrorType.Invalid, path, GoSlice("string", versions), "must include at least one of v1, v1beta1");
        }
    }

    /// <summary>The variables a webhook's matchConditions may reference.</summary>
    public static readonly string[] MatchConditionVariables = ["object", "oldObject", "request", "authorizer"];

    /// <summary>Kubernetes' message for an expression that does not compile against <paramref name="variables"/>, or null.</summary>
    public static string? CompileError(string expression, string[]? variables, IReadOnlyCollection<string>? composited = null) =>
        Cel.CelProgram.TryCompile(expression, variables ?? MatchConditionVariables, composited, out _, out string? error) ? null : "compilation failed: " + error;

    /// <summary>matchConditions: at most 64, unique qualified names, an expression each that compiles.</summary>
    public static IEnumerable<FieldError> MatchConditionList(IList<V1MatchCondition>? conditions, string path, string[]? variables = null)
    {
        conditions ??= [];
        if (conditions.Count > 64)
        {
            yield return new FieldError(FieldErrorType.TooMany, path, conditions.Count, "must have at most 64 items");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < conditions.Count; i++)
        {
            string item = $"{path}[{i}]";
            string? name = conditions[i].Name;
            if (string.IsNullOrEmpty(name))
            {
                yield return new FieldError(FieldErrorType.Required, item + ".name", null, "");
            }
            else
            {
                foreach (string problem in MetadataValidation.QualifiedNameProblems(name))
                {
                    yield return new FieldError(FieldErrorType.Invalid, item + ".name", name, problem);
                }

                if (!names.Add(name))
                {
                    yield return new FieldError(FieldErrorType.Duplicate, item + ".name", name, "");
                }
            }

            if (string.IsNullOrWhiteSpace(conditions[i].Expression))
            {
                yield return new FieldError(FieldErrorType.Required, item + ".expression", null, "");
            }
            else if (CompileError(conditions[i].Expression, variables) is { } error)
            {
                yield return new FieldError(FieldErrorType.Invalid, item + ".expression", conditions[i].Expression, error);
            }
        }
    }

    /// <summary>A list as Kubernetes prints a slice in a field error (Go's <c>%#v</c>).</summary>
    public static object GoSlice(string type, IEnumerable<string> values) =>
        new GoValue($"[]{type}{{{string.Join(", ", values.Select(v => "\"" + v + "\""))}}}");

    private sealed record GoValue(string Text)
    {
        public override string ToString() => Text;
    }
}
