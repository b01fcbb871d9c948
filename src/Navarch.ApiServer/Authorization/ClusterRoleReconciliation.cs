using k8s.Models;
using Navarch.Api;
using Navarch.ApiServer.Authorization.Rbac;

namespace Navarch.ApiServer.Authorization;

/// <summary>
/// pkg/registry/rbac/reconciliation computeReconciledRole, in its union form (kube-apiserver's RBAC post-start hook):
/// a default ClusterRole gets back what it is missing — labels, annotations, aggregation selectors, rules — and keeps
/// whatever was added to it; one annotated <c>rbac.authorization.kubernetes.io/autoupdate: "false"</c> is left alone.
/// </summary>
internal static class ClusterRoleReconciliation
{
    /// <summary>The reconciled role, or null when <paramref name="existing"/> needs no change (or is protected).</summary>
    public static V1ClusterRole? Reconcile(V1ClusterRole existing, V1ClusterRole expected)
    {
        if (IsProtected(existing.Metadata))
        {
            return null;
        }

        V1ClusterRole role = KubernetesSerialization.DeepCopy(existing);
        bool changed = MergeMetadata(role.Metadata, expected.Metadata);
        if (expected.AggregationRule is null && existing.AggregationRule is not null)
        {
            role.AggregationRule = null;
            changed = true;
        }
        else if (expected.AggregationRule is { } aggregation)
        {
            List<V1LabelSelector> have = [.. existing.AggregationRule?.ClusterRoleSelectors ?? []];
            List<V1LabelSelector> missing = (aggregation.ClusterRoleSelectors ?? []).Where(s => !have.Any(h => KubernetesSerialization.JsonEquals(h, s))).ToList();
            if (missing.Count > 0)
            {
                role.AggregationRule = new V1AggregationRule { ClusterRoleSelectors = [.. have, .. missing] };
                changed = true;
            }
        }

        (_, List<V1PolicyRule> missingRules) = PolicyComparator.Covers(existing.Rules ?? [], expected.Rules ?? []);
        if (missingRules.Count > 0)
        {
            role.Rules = [.. existing.Rules ?? [], .. missingRules];
            changed = true;
        }

        return changed ? role : null;
    }

    /// <summary>True when the object opted out of reconciliation.</summary>
    public static bool IsProtected(V1ObjectMeta metadata) =>
        metadata.Annotations?.TryGetValue(BootstrapPolicy.AutoUpdateAnnotation, out string? value) == true && value == "false";

    /// <summary>Adds the expected labels and annotations the object lacks (its own values win); true when any was added.</summary>
    public static bool MergeMetadata(V1ObjectMeta metadata, V1ObjectMeta expected)
    {
        bool changed = false;
        metadata.Labels = Merge(metadata.Labels, expected.Labels, ref changed);
        metadata.Annotations = Merge(metadata.Annotations, expected.Annotations, ref changed);
        return changed;
    }

    private static IDictionary<string, string>? Merge(IDictionary<string, string>? own, IDictionary<string, string>? expected, ref bool changed)
    {
        if (expected is not { Count: > 0 })
        {
            return own;
        }

        var merged = new Dictionary<string, string>(own ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach ((string key, string value) in expected)
        {
            changed |= merged.TryAdd(key, value);
        }

        return merged;
    }
}
