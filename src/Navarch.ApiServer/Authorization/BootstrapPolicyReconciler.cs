using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Rbac;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Authorization;

/// <summary>
/// kube-apiserver's RBAC post-start hook (pkg/registry/rbac/rest/storage_rbac.go): at every start the default
/// ClusterRoles and ClusterRoleBindings of <see cref="BootstrapPolicy"/> are created when missing and given back what they
/// lack (<see cref="ClusterRoleReconciliation"/>, <see cref="ClusterRoleBindingReconciliation"/>), through the registry
/// like any client's writes. A default aggregated role that is new (or newly aggregated) starts with the rules of the
/// default roles it selects, so that <c>admin</c>, <c>edit</c> and <c>view</c> work before the ClusterRole aggregation
/// controller first runs; from then on that controller keeps them.
/// </summary>
internal static class BootstrapPolicyReconciler
{
    public static async Task RunAsync(StoreRegistry stores, CancellationToken cancellationToken)
    {
        GenericStore roles = stores.For("rbac.authorization.k8s.io", "v1", "clusterroles");
        List<V1ClusterRole> expectedRoles = BootstrapPolicy.ClusterRoles().ToList();
        // What the default aggregated roles hold before the aggregation controller has run.
        List<V1ClusterRole> aggregatedDefaults = BootstrapPolicy.ClusterRoles().ToList();
        ClusterRoleAggregation.AggregateAll(aggregatedDefaults);
        IList<V1PolicyRule>? InitialRules(V1ClusterRole role) => aggregatedDefaults.Find(r => r.Metadata.Name == role.Metadata.Name)?.Rules;
        foreach (V1ClusterRole expected in expectedRoles)
        {
            if (await FindAsync(roles, expected.Metadata.Name, cancellationToken) is not V1ClusterRole existing)
            {
                V1ClusterRole created = KubernetesSerialization.DeepCopy(expected);
                created.Rules = InitialRules(expected);
                await CreateAsync(roles, created, cancellationToken);
            }
            else if (IsLegacyNodeRole(existing))
            {
                // Navarch before the Node authorizer wrote a system:node that read everything; reconciliation only adds,
                // so that role is replaced outright (Kubernetes' own upgrade left such grants to the administrator).
                await roles.UpdateAsync(null, expected.Metadata.Name, null, UpdateKind.Resource, dryRun: false, current =>
                {
                    V1ClusterRole replaced = KubernetesSerialization.DeepCopy(expected);
                    replaced.Metadata = current.Metadata;
                    return replaced;
                }, cancellationToken);
            }
            else if (ClusterRoleReconciliation.Reconcile(existing, expected) is not null)
            {
                await roles.UpdateAsync(null, expected.Metadata.Name, null, UpdateKind.Resource, dryRun: false, current =>
                {
                    var role = (V1ClusterRole)current;
                    V1ClusterRole reconciled = ClusterRoleReconciliation.Reconcile(role, expected) ?? role;
                    if (role.AggregationRule is null && reconciled.AggregationRule is not null)
                    {
                        // Newly aggregated (a cluster made before aggregation): the default roles' rules replace the old ones.
                        reconciled.Rules = InitialRules(expected);
                    }

                    return reconciled;
                }, cancellationToken);
            }
        }

        GenericStore bindings = stores.For("rbac.authorization.k8s.io", "v1", "clusterrolebindings");
        foreach (V1ClusterRoleBinding expected in BootstrapPolicy.ClusterRoleBindings())
        {
            if (await FindAsync(bindings, expected.Metadata.Name, cancellationToken) is not V1ClusterRoleBinding existing)
            {
                await CreateAsync(bindings, expected, cancellationToken);
                continue;
            }

            if (IsLegacyNodeBinding(existing))
            {
                // The same upgrade for the binding: system:nodes no longer holds system:node (the Node authorizer decides).
                await bindings.UpdateAsync(null, expected.Metadata.Name, null, UpdateKind.Resource, dryRun: false, current =>
                {
                    var binding = (V1ClusterRoleBinding)current;
                    binding.Subjects = [.. binding.Subjects?.Where(s => !(s.Kind == "Group" && s.Name == NodesGroup)) ?? []];
                    return binding;
                }, cancellationToken);
                continue;
            }

            switch (ClusterRoleBindingReconciliation.Reconcile(existing, expected).Operation)
            {
                case ClusterRoleBindingReconciliation.Operation.Update:
                    await bindings.UpdateAsync(null, expected.Metadata.Name, null, UpdateKind.Resource, dryRun: false,
                        current => ClusterRoleBindingReconciliation.Reconcile((V1ClusterRoleBinding)current, expected).Binding, cancellationToken);
                    break;
                case ClusterRoleBindingReconciliation.Operation.Recreate:
                    await bindings.DeleteAsync(null, expected.Metadata.Name, new V1DeleteOptions(), dryRun: false, cancellationToken);
                    await CreateAsync(bindings, expected, cancellationToken);
                    break;
            }
        }
    }

    private const string NodesGroup = "system:nodes";

    private static bool IsLegacyNodeRole(V1ClusterRole role) =>
        role.Metadata.Name == "system:node" && !IsAutoUpdateOff(role.Metadata)
        && role.Rules?.Any(r => r.ApiGroups?.Contains("*") == true && r.Resources?.Contains("*") == true) == true;

    private static bool IsLegacyNodeBinding(V1ClusterRoleBinding binding) =>
        binding.Metadata.Name == "system:node" && !IsAutoUpdateOff(binding.Metadata)
        && binding.Subjects?.Any(s => s.Kind == "Group" && s.Name == NodesGroup) == true;

    private static bool IsAutoUpdateOff(V1ObjectMeta meta) =>
        meta.Annotations?.TryGetValue(BootstrapPolicy.AutoUpdateAnnotation, out string? value) == true && value == "false";

    private static async Task<IKubernetesObject<V1ObjectMeta>?> FindAsync(GenericStore store, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await store.GetAsync(null, name, cancellationToken);
        }
        catch (StatusException e) when (e.Status.Code == 404)
        {
            return null;
        }
    }

    private static async Task CreateAsync(GenericStore store, IKubernetesObject<V1ObjectMeta> obj, CancellationToken cancellationToken)
    {
        try
        {
            await store.CreateAsync(obj, dryRun: false, cancellationToken);
        }
        catch (StatusException e) when (e.Status.Reason == "AlreadyExists")
        {
            // Another server made it meanwhile; the next start reconciles it.
        }
    }
}
