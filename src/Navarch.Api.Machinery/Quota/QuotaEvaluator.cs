using k8s.Models;
using Navarch.Api.Quantities;

namespace Navarch.Api.Quota;

/// <summary>
/// Kubernetes' quota.Evaluator for one group/resource: which quota resource names it charges, what an object uses,
/// which scopes it falls in, and what it must declare. Shared by the ResourceQuota admission plugin (charging a
/// write) and the resource quota controller (recounting a namespace).
/// </summary>
public abstract class QuotaEvaluator
{
    /// <summary>The API group ("" for core).</summary>
    public abstract string Group { get; }

    /// <summary>The resource (plural).</summary>
    public abstract string Resource { get; }

    /// <summary>The object-count quota name of this resource: <c>count/pods</c>, <c>count/deployments.apps</c>.</summary>
    public string ObjectCountName => ObjectCountNameFor(Group, Resource);

    /// <summary>The object-count quota name of <paramref name="group"/>/<paramref name="resource"/>.</summary>
    public static string ObjectCountNameFor(string group, string resource) => group.Length == 0 ? $"count/{resource}" : $"count/{resource}.{group}";

    /// <summary>True when a write of this kind can change usage: creates, and for some resources updates.</summary>
    public virtual bool Handles(bool update) => !update;

    /// <summary>The names among <paramref name="names"/> this evaluator charges.</summary>
    public abstract IReadOnlyList<string> MatchingResources(IEnumerable<string> names);

    /// <summary>What <paramref name="obj"/> uses, at <paramref name="now"/>.</summary>
    public abstract Dictionary<string, Quantity> Usage(object obj, DateTimeOffset now);

    /// <summary>True when <paramref name="obj"/> is in the scope <paramref name="selector"/> names; only pods have scopes.</summary>
    public virtual bool MatchesScope(V1ScopedResourceSelectorRequirement selector, object obj) => false;

    /// <summary>Null, or why <paramref name="obj"/> may not be charged to a quota of <paramref name="required"/> (the "must specify" rule for pods).</summary>
    public virtual string? Constraints(IReadOnlyCollection<string> required, object obj) => null;

    /// <summary>The evaluator of <paramref name="group"/>/<paramref name="resource"/>: pods, services and claims have their own, anything else is counted.</summary>
    public static QuotaEvaluator For(string group, string resource) => (group, resource) switch
    {
        ("", "pods") => PodQuotaEvaluator.Instance,
        ("", "services") => ServiceQuotaEvaluator.Instance,
        ("", "persistentvolumeclaims") => PersistentVolumeClaimQuotaEvaluator.Instance,
        _ => new ObjectCountQuotaEvaluator(group, resource),
    };

    /// <summary>A quota's scopes and scope selector as selector requirements (getScopeSelectorsFromQuota).</summary>
    public static IEnumerable<V1ScopedResourceSelectorRequirement> ScopeSelectors(V1ResourceQuota quota) =>
        (quota.Spec?.Scopes ?? []).Select(s => new V1ScopedResourceSelectorRequirement { ScopeName = s, OperatorProperty = "Exists" })
            .Concat(quota.Spec?.ScopeSelector?.MatchExpressions ?? []);

    /// <summary>generic.Matches: the quota limits something this evaluator charges, and the object is in every scope of the quota.</summary>
    public bool Matches(V1ResourceQuota quota, object obj) =>
        MatchingResources((quota.Status?.Hard ?? new Dictionary<string, ResourceQuantity>()).Keys).Count > 0
        && ScopeSelectors(quota).All(s => MatchesScope(s, obj));
}
