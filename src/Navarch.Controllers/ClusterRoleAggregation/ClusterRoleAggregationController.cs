using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Api;
using Navarch.Client.Informers;
using Navarch.Client.Queue;

namespace Navarch.Controllers.ClusterRoleAggregation;

/// <summary>
/// kube-controller-manager's clusterrole-aggregation controller (pkg/controller/clusterroleaggregation): every
/// ClusterRole with an aggregationRule holds the rules of the ClusterRoles its selectors select
/// (<see cref="Api.Rbac.ClusterRoleAggregation"/>), so a custom role labelled
/// <c>rbac.authorization.k8s.io/aggregate-to-edit: "true"</c> joins <c>edit</c> (and, through it, <c>admin</c>).
/// Any ClusterRole change queues every aggregated role: the set is small and the dependencies are not tracked.
/// </summary>
public sealed class ClusterRoleAggregationController : IController
{
    private readonly Informer<V1ClusterRole> _clusterRoles;
    private readonly IKubernetes _client;
    private readonly WorkQueue<string> _queue;
    private readonly ILogger _logger;

    /// <summary>Creates the controller over the shared ClusterRole informer.</summary>
    public ClusterRoleAggregationController(SharedInformerFactory informers, IKubernetes client, TimeProvider time, ILogger<ClusterRoleAggregationController> logger)
    {
        ArgumentNullException.ThrowIfNull(informers);
        _clusterRoles = informers.Get<V1ClusterRole>();
        _client = client;
        _queue = new WorkQueue<string>(time);
        _logger = logger;
        _clusterRoles.AddHandler(new ResourceEventHandler<V1ClusterRole>(_ => EnqueueAggregated()));
    }

    /// <inheritdoc />
    public string Name => "clusterrole-aggregation";

    /// <inheritdoc />
    public void Dispose() => _queue.Dispose();

    /// <inheritdoc />
    public Task RunAsync(int workers, CancellationToken cancellationToken) =>
        ControllerLoop.RunAsync(Name, _queue, workers, SyncAsync, _logger, cancellationToken);

    private void EnqueueAggregated()
    {
        foreach (V1ClusterRole role in _clusterRoles.Store.List().Where(r => r.AggregationRule is not null))
        {
            _queue.Add(role.Metadata.Name);
        }
    }

    private async Task SyncAsync(string name, CancellationToken cancellationToken)
    {
        if (_clusterRoles.Store.Get(name) is not { } role
            || Api.Rbac.ClusterRoleAggregation.Rules(role, _clusterRoles.Store.List()) is not { } rules
            || SameRules(rules, role.Rules))
        {
            return;
        }

        // Kubernetes applies with server-side apply and falls back to an update; Navarch's server takes the update.
        V1ClusterRole updated = ModelCopies.Copy(role);
        updated.Rules = rules;
        await _client.RbacAuthorizationV1.ReplaceClusterRoleAsync(updated, name, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    // As apimachinery's semantic equality: no rules and an empty list are the same.
    private static bool SameRules(List<V1PolicyRule> rules, IList<V1PolicyRule>? current) =>
        (rules.Count == 0 && current is not { Count: > 0 }) || KubernetesSerialization.JsonEquals(rules, current);
}
