using k8s.Models;
using Navarch.Api;

namespace Navarch.ApiServer.Authorization;

/// <summary>
/// pkg/registry/rbac/reconciliation computeReconciledRoleBinding, in its union form: a default ClusterRoleBinding gets
/// back its missing labels, annotations and subjects and keeps the subjects added to it; one whose roleRef changed is
/// recreated (a roleRef cannot be updated); one annotated <c>autoupdate: "false"</c> is left alone.
/// </summary>
internal static class ClusterRoleBindingReconciliation
{
    /// <summary>What to do with an existing binding.</summary>
    public enum Operation
    {
        None,
        Update,
        Recreate,
    }

    public static (Operation Operation, V1ClusterRoleBinding Binding) Reconcile(V1ClusterRoleBinding existing, V1ClusterRoleBinding expected)
    {
        if (ClusterRoleReconciliation.IsProtected(existing.Metadata))
        {
            return (Operation.None, existing);
        }

        if (!KubernetesSerialization.JsonEquals(existing.RoleRef, expected.RoleRef))
        {
            return (Operation.Recreate, expected);
        }

        V1ClusterRoleBinding binding = KubernetesSerialization.DeepCopy(existing);
        bool changed = ClusterRoleReconciliation.MergeMetadata(binding.Metadata, expected.Metadata);
        List<Rbacv1Subject> have = [.. existing.Subjects ?? []];
        List<Rbacv1Subject> missing = (expected.Subjects ?? []).Where(s => !have.Any(h => KubernetesSerialization.JsonEquals(h, s))).ToList();
        if (missing.Count > 0)
        {
            binding.Subjects = [.. have, .. missing];
            changed = true;
        }

        return (changed ? Operation.Update : Operation.None, binding);
    }
}
