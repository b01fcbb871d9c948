using k8s.Models;
using Navarch.Api;

namespace Navarch.ApiServer.Admission.Webhooks;

/// <summary>
/// Kubernetes' admission rule matcher (webhook/predicates/rules): a rule matches a request by operation, API group,
/// version, resource with its subresource (<c>pods/status</c>, <c>pods/*</c>, <c>*/status</c>, <c>*/*</c>, and
/// <c>*</c> for every resource without a subresource) and scope. Shared by webhooks and admission policies.
/// </summary>
internal static class AdmissionRules
{
    /// <summary>The operation's name in admission (CREATE, UPDATE, DELETE, CONNECT).</summary>
    public static string OperationName(AdmissionOperation operation) => operation switch
    {
        AdmissionOperation.Create => "CREATE",
        AdmissionOperation.Update => "UPDATE",
        _ => "DELETE",
    };

    /// <summary>True when a rule of these fields matches the request on <paramref name="resource"/> (the request's or an equivalent).</summary>
    public static bool Matches(
        IList<string>? operations, IList<string>? apiGroups, IList<string>? apiVersions, IList<string>? resources, string? scope,
        AdmissionRequest request, ResourceDefinition resource) =>
        Any(operations, OperationName(request.Operation))
        && Any(apiGroups, resource.Group)
        && Any(apiVersions, resource.Version)
        && ResourceMatches(resources, resource.Plural, request.Subresource ?? "")
        && ScopeMatches(scope, request);

    /// <summary>A <c>V1RuleWithOperations</c> (webhooks).</summary>
    public static bool Matches(V1RuleWithOperations rule, AdmissionRequest request, ResourceDefinition resource) =>
        Matches(rule.Operations, rule.ApiGroups, rule.ApiVersions, rule.Resources, rule.Scope, request, resource);

    /// <summary>A <c>V1NamedRuleWithOperations</c> (admission policies; resourceNames narrows it to named objects).</summary>
    public static bool Matches(V1NamedRuleWithOperations rule, AdmissionRequest request, ResourceDefinition resource) =>
        Matches(rule.Operations, rule.ApiGroups, rule.ApiVersions, rule.Resources, rule.Scope, request, resource)
        && (rule.ResourceNames is not { Count: > 0 } || rule.ResourceNames.Contains(request.Name));

    private static bool Any(IList<string>? values, string value) =>
        values is not null && values.Any(v => v == "*" || v == value);

    private static bool ResourceMatches(IList<string>? resources, string resource, string subresource)
    {
        foreach (string item in resources ?? [])
        {
            if (item == "*/*")
            {
                return true;
            }

            string[] parts = item.Split('/', 2);
            if (parts.Length == 1)
            {
                if (subresource.Length == 0 && (item == "*" || item == resource))
                {
                    return true;
                }

                continue;
            }

            if ((parts[0] == "*" || parts[0] == resource) && (parts[1] == "*" || parts[1] == subresource) && subresource.Length > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Namespace objects are cluster-scoped, whatever namespace the request carries.</summary>
    private static bool ScopeMatches(string? scope, AdmissionRequest request)
    {
        bool isNamespace = request.Resource.Group.Length == 0 && request.Resource.Plural == "namespaces";
        return scope switch
        {
            "Namespaced" => !isNamespace && !string.IsNullOrEmpty(request.Namespace),
            "Cluster" => isNamespace || string.IsNullOrEmpty(request.Namespace),
            _ => true,
        };
    }
}
