using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Client.Informers;

namespace Navarch.Controllers.ClusterRoleAggregation;

/// <summary>
/// kube-controller-manager's clusterrole-aggregation controller (pkg/controller/clusterroleaggregation): every
/// ClusterRole with an aggregationRule holds the rules of the ClusterRoles its selectors select
/// (<see cref="Api.Rbac.ClusterRoleAggregation"/>), so a custom role labelled
/// <c>rbac.authorization.k8s.io/aggregate-to-edit: "true"</c> joins <c>edit</c> (and, through it, <c>admin</c>).
/// Any ClusterRole change queues every aggregated role: the set is small and the dependencies are not tracked.
/// </summary>
public sealed class ClusterRoleAggregationController : QueueController
{
    private readonly Informer<V1ClusterRole> _clusterRoles;

    /// <summary>Creates the controller over the shared ClusterRole informer.</summary>
    public ClusterRoleAggregationController(ControllerContext context)
        : base("clusterrole-aggregation", context)
    {
        _clusterRoles = context.Informers.Get<V1ClusterRole>();
        _clusterRoles.AddHandler(new ResourceEventHandler<V1ClusterRole>(_ => EnqueueAggregated()));
    }

    private void EnqueueAggregated()
    {
        foreach (V1ClusterRole role in _clusterRoles.Store.List().Where(r => r.AggregationRule is not null))
        {
            Queue.Add(role.Metadata.Name);
        }
    }

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        if (_clusterRoles.Store.Get(key) is not { } role
            || Api.Rbac.ClusterRoleAggregation.Rules(role, _clusterRoles.Store.List()) is not { } rules
            || SameRules(rules, role.Rules))
        {
            return;
        }

        // Kubernetes applies with server-side apply and falls back to an update; Navarch's server takes the update.
        V1ClusterRole updated = ModelCopies.Copy(role);
        updated.Rules = rules;
        await Client.RbacAuthorizationV1.ReplaceClusterRoleAsync(updated, key, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    // As apimachinery's semantic equality: no rules and an empty list are the same.
    private static bool SameRules(List<V1PolicyRule> rules, IList<V1PolicyRule>? current) =>
        (rules.Count == 0 && current is not { Count: > 0 }) || KubernetesSerialization.JsonEquals(rules, current);
}
