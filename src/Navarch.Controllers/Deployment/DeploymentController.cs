using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Selectors;
using Navarch.Client.Events;
using Navarch.Client.Informers;

namespace Navarch.Controllers.Deployment;

/// <summary>
/// Rolls Deployments out through ReplicaSets the way kube-controller-manager does: one ReplicaSet per pod template
/// (named and labelled by the template's hash, numbered by revision annotations), RollingUpdate within maxSurge and
/// maxUnavailable or Recreate, proportional scaling while a rollout is under way, pause and resume, rollback by
/// reusing the ReplicaSet of an earlier template, revisionHistoryLimit clean-up, and the Progressing and Available
/// conditions with progressDeadlineSeconds.
/// </summary>
public sealed partial class DeploymentController : QueueController
{
    private readonly Informer<V1Deployment> _deployments;
    private readonly Informer<V1ReplicaSet> _replicaSets;
    private readonly Informer<V1Pod> _pods;
    private readonly EventRecorder _events;

    /// <summary>Creates the controller over the shared Deployment, ReplicaSet and Pod informers.</summary>
    public DeploymentController(ControllerContext context)
        : base("deployment", context)
    {
        _deployments = context.Informers.Get<V1Deployment>();
        _replicaSets = context.Informers.Get<V1ReplicaSet>();
        _pods = context.Informers.Get<V1Pod>();
        _events = context.Recorder("deployment-controller");
        _deployments.AddHandler(new ResourceEventHandler<V1Deployment>(Enqueue));
        _replicaSets.AddHandler(new ResourceEventHandler<V1ReplicaSet>(ReplicaSetChanged, (rs, _) => ReplicaSetChanged(rs)));
        _pods.AddHandler(new ResourceEventHandler<V1Pod>(_ => { }, (pod, _) => PodDeleted(pod)));
    }

    private void ReplicaSetChanged(V1ReplicaSet rs)
    {
        if (ControllerOf(rs.Metadata, "Deployment") is { } owner)
        {
            Queue.Add($"{rs.Metadata.NamespaceProperty}/{owner.Name}");
            return;
        }

        foreach (V1Deployment d in _deployments.Store.List(rs.Metadata.NamespaceProperty))
        {
            if (d.Spec?.Selector is { } selector && selector.Matches(rs.Metadata.Labels))
            {
                Enqueue(d);
            }
        }
    }

    // Recreate waits for the old pods to be gone: their deletion is what lets it go on.
    private void PodDeleted(V1Pod pod)
    {
        if (ControllerOf(pod.Metadata, "ReplicaSet") is { } rsOwner
            && _replicaSets.Store.Get($"{pod.Metadata.NamespaceProperty}/{rsOwner.Name}") is { } rs
            && ControllerOf(rs.Metadata, "Deployment") is { } owner
            && _deployments.Store.Get($"{pod.Metadata.NamespaceProperty}/{owner.Name}") is { Spec.Strategy.Type: "Recreate" } d)
        {
            Enqueue(d);
        }
    }

    private static V1OwnerReference? ControllerOf(V1ObjectMeta metadata, string kind) => ControllerRefs.ControllerOf(metadata, kind);

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        V1Deployment? cached = _deployments.Store.Get(key);
        if (cached is null)
        {
            return;
        }

        V1Deployment d = ModelCopies.Copy(cached);
        if (d.Spec.Selector is null || (d.Spec.Selector.MatchLabels is not { Count: > 0 } && d.Spec.Selector.MatchExpressions is not { Count: > 0 }))
        {
            _events.Event(d, "Warning", "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.");
            return;
        }

        List<V1ReplicaSet> owned = await ClaimReplicaSetsAsync(d, cancellationToken);
        if (d.Metadata.DeletionTimestamp is not null)
        {
            await SyncStatusAsync(d, owned, FindNew(d, owned), cancellationToken);
            return;
        }

        await CheckPausedConditionAsync(d, cancellationToken);
        if (d.Spec.Paused == true || IsScalingEvent(d, owned))
        {
            await SyncScaleAsync(d, owned, cancellationToken);
            return;
        }

        if (d.Spec.Strategy?.Type == "Recreate")
        {
            await RolloutRecreateAsync(d, owned, cancellationToken);
        }
        else
        {
            await RolloutRollingAsync(d, owned, cancellationToken);
        }
    }

    /// <summary>The ReplicaSets this Deployment controls, after adopting matching orphans and releasing non-matching ones.</summary>
    private async Task<List<V1ReplicaSet>> ClaimReplicaSetsAsync(V1Deployment d, CancellationToken cancellationToken)
    {
        var owned = new List<V1ReplicaSet>();
        foreach (V1ReplicaSet rs in _replicaSets.Store.List(d.Metadata.NamespaceProperty))
        {
            V1OwnerReference? owner = ControllerOf(rs.Metadata, "Deployment");
            bool matches = d.Spec.Selector.Matches(rs.Metadata.Labels);
            if (owner?.Uid == d.Metadata.Uid)
            {
                if (matches)
                {
                    owned.Add(ModelCopies.Copy(rs));
                }
                else
                {
                    await SetOwnerAsync(rs, null, cancellationToken);
                }
            }
            else if (owner is null && matches && d.Metadata.DeletionTimestamp is null && rs.Metadata.DeletionTimestamp is null)
            {
                owned.Add(await SetOwnerAsync(rs, d, cancellationToken) ?? ModelCopies.Copy(rs));
            }
        }

        return owned;
    }

    private async Task<V1ReplicaSet?> SetOwnerAsync(V1ReplicaSet rs, V1Deployment? owner, CancellationToken cancellationToken)
    {
        string patch = ControllerRefs.AdoptionPatch(rs.Metadata, owner is null ? null : ControllerReference(owner));
        try
        {
            return await Client.AppsV1.PatchNamespacedReplicaSetAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), rs.Metadata.Name, rs.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.UnprocessableEntity)
        {
            return null;
        }
    }

    private static V1OwnerReference ControllerReference(V1Deployment d) => ControllerRefs.To(d, "apps/v1", "Deployment");

    /// <summary>The oldest ReplicaSet whose template is the Deployment's, if any.</summary>
    private static V1ReplicaSet? FindNew(V1Deployment d, List<V1ReplicaSet> owned) =>
        owned.OrderBy(rs => rs.Metadata.CreationTimestamp).ThenBy(rs => rs.Metadata.Name, StringComparer.Ordinal)
            .FirstOrDefault(rs => Revisions.TemplateEquals(rs.Spec.Template, d.Spec.Template));

    /// <summary>A scale change of the Deployment not yet applied: an active ReplicaSet was sized for other replicas.</summary>
    private static bool IsScalingEvent(V1Deployment d, List<V1ReplicaSet> owned) =>
        owned.Any(rs => (rs.Spec.Replicas ?? 0) > 0 && Revisions.DesiredReplicas(rs) is { } desired && desired != (d.Spec.Replicas ?? 1));

    /// <summary>Writes a ReplicaSet's new size (and the replica annotations); returns the stored object.</summary>
    private async Task<V1ReplicaSet> ScaleAsync(V1ReplicaSet rs, int replicas, V1Deployment d, CancellationToken cancellationToken)
    {
        V1ReplicaSet copy = ModelCopies.Copy(rs);
        bool annotationsChanged = Revisions.SetReplicaAnnotations(copy, d);
        int from = rs.Spec.Replicas ?? 0;
        if (from == replicas && !annotationsChanged)
        {
            return rs;
        }

        copy.Spec.Replicas = replicas;
        V1ReplicaSet stored = await Client.AppsV1.ReplaceNamespacedReplicaSetAsync(copy, rs.Metadata.Name, rs.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
        if (from != replicas)
        {
            _events.Event(d, "Normal", "ScalingReplicaSet", $"Scaled {(replicas > from ? "up" : "down")} replica set {rs.Metadata.Name} from {from} to {replicas}");
        }

        return stored;
    }
}
