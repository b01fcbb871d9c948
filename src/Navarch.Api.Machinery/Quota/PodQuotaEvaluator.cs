using k8s.Models;
using Navarch.Api.Quantities;

namespace Navarch.Api.Quota;

/// <summary>
/// Kubernetes' pod evaluator: <c>count/pods</c> for every stored pod, and <c>pods</c> plus compute requests and limits
/// for a pod that has not ended (not Succeeded or Failed, nor past its deletion grace period); scopes Terminating,
/// NotTerminating, BestEffort, NotBestEffort, PriorityClass and CrossNamespacePodAffinity; and the old rule that a
/// quota on cpu or memory makes every container say its own.
/// </summary>
public sealed class PodQuotaEvaluator : QuotaEvaluator
{
    /// <summary>The one instance.</summary>
    public static readonly PodQuotaEvaluator Instance = new();

    private static readonly string[] Names =
    [
        "count/pods", "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage",
        "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods",
    ];

    // Kubernetes calls requiring these a mistake it keeps for compatibility and will not extend.
    private static readonly HashSet<string> MustSpecify = new(["cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"], StringComparer.Ordinal);

    private PodQuotaEvaluator()
    {
    }

    /// <inheritdoc />
    public override string Group => "";

    /// <inheritdoc />
    public override string Resource => "pods";

    /// <inheritdoc />
    public override IReadOnlyList<string> MatchingResources(IEnumerable<string> names) =>
        names.Where(n => Names.Contains(n, StringComparer.Ordinal) || n.StartsWith("hugepages-", StringComparison.Ordinal)
            || n.StartsWith("requests.hugepages-", StringComparison.Ordinal) || (n.StartsWith("requests.", StringComparison.Ordinal) && !IsNative(n))).ToList();

    /// <inheritdoc />
    public override Dictionary<string, Quantity> Usage(object obj, DateTimeOffset now)
    {
        var pod = (V1Pod)obj;
        var result = new Dictionary<string, Quantity>(StringComparer.Ordinal) { ["count/pods"] = Quantity.FromUnits(1) };
        return IsCharged(pod, now) ? ResourceLists.Add(result, Compute(PodResources.Requests(pod), PodResources.Limits(pod))) : result;
    }

    /// <summary>QuotaV1Pod: false for a pod that ended, or whose deletion grace period is over (e.g. on a lost node).</summary>
    public static bool IsCharged(V1Pod pod, DateTimeOffset now)
    {
        if (pod.Status?.Phase is "Succeeded" or "Failed")
        {
            return false;
        }

        return pod.Metadata?.DeletionTimestamp is not { } deleted || pod.Metadata.DeletionGracePeriodSeconds is not { } grace
            || now <= new DateTimeOffset(DateTime.SpecifyKind(deleted, DateTimeKind.Utc)).AddSeconds(grace);
    }

    /// <inheritdoc />
    public override bool MatchesScope(V1ScopedResourceSelectorRequirement selector, object obj)
    {
        var pod = (V1Pod)obj;
        bool terminating = pod.Spec?.ActiveDeadlineSeconds is >= 0;
        return selector.ScopeName switch
        {
            "Terminating" => terminating,
            "NotTerminating" => !terminating,
            "BestEffort" => PodResources.IsBestEffort(pod),
            "NotBestEffort" => !PodResources.IsBestEffort(pod),
            "PriorityClass" => MatchesPriorityClass(selector, pod.Spec?.PriorityClassName),
            "CrossNamespacePodAffinity" => CrossNamespaceAffinity(pod),
            _ => false,
        };
    }

    /// <inheritdoc />
    public override string? Constraints(IReadOnlyCollection<string> required, object obj)
    {
        var pod = (V1Pod)obj;
        var requiredSet = required.Where(MustSpecify.Contains).ToHashSet(StringComparer.Ordinal);
        var missing = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (V1Container container in (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []))
        {
            Dictionary<string, Quantity> own = Compute(ResourceLists.From(container.Resources?.Requests), ResourceLists.From(container.Resources?.Limits));
            foreach (string name in requiredSet.Where(n => !own.ContainsKey(n)))
            {
                if (!missing.TryGetValue(name, out SortedSet<string>? containers))
                {
                    missing[name] = containers = new SortedSet<string>(StringComparer.Ordinal);
                }

                containers.Add(container.Name);
            }
        }

        return missing.Count == 0 ? null : "must specify " + string.Join("; ", missing.Select(kv => $"{kv.Key} for: {string.Join(",", kv.Value)}"));
    }

    /// <summary>podComputeUsageHelper: what requests and limits charge.</summary>
    private static Dictionary<string, Quantity> Compute(Dictionary<string, Quantity> requests, Dictionary<string, Quantity> limits)
    {
        var result = new Dictionary<string, Quantity>(StringComparer.Ordinal) { ["pods"] = Quantity.FromUnits(1) };
        foreach (string name in new[] { "cpu", "memory", "ephemeral-storage" })
        {
            if (requests.TryGetValue(name, out Quantity request))
            {
                result[name] = request;
                result["requests." + name] = request;
            }

            if (limits.TryGetValue(name, out Quantity limit))
            {
                result["limits." + name] = limit;
            }
        }

        foreach ((string name, Quantity request) in requests)
        {
            if (name.StartsWith("hugepages-", StringComparison.Ordinal))
            {
                result[name] = request;
                result["requests." + name] = request;
            }
            else if (!IsNative(name) && !name.StartsWith("requests.", StringComparison.Ordinal))
            {
                // Extended resources are quota'd only as requests.<name>.
                result["requests." + name] = request;
            }
        }

        return result;
    }

    private static bool IsNative(string name) => !name.Contains('/', StringComparison.Ordinal) || name.Contains("kubernetes.io/", StringComparison.Ordinal);

    private static bool MatchesPriorityClass(V1ScopedResourceSelectorRequirement selector, string? className)
    {
        bool has = !string.IsNullOrEmpty(className);
        IList<string> values = selector.Values ?? [];
        return selector.OperatorProperty switch
        {
            "Exists" => has,
            "DoesNotExist" => !has,
            "In" => has && values.Contains(className!),
            "NotIn" => !has || !values.Contains(className!),
            _ => false,
        };
    }

    private static bool CrossNamespaceAffinity(V1Pod pod)
    {
        static bool Crosses(V1PodAffinityTerm? t) => t is not null && (t.Namespaces is { Count: > 0 } || t.NamespaceSelector is not null);
        V1Affinity? affinity = pod.Spec?.Affinity;
        return (affinity?.PodAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? []).Any(Crosses)
            || (affinity?.PodAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? []).Any(w => Crosses(w.PodAffinityTerm))
            || (affinity?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? []).Any(Crosses)
            || (affinity?.PodAntiAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? []).Any(w => Crosses(w.PodAffinityTerm));
    }
}
