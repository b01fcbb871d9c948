using k8s;
using k8s.Models;
using Navarch.Controllers.ReplicaSet;

namespace Navarch.Controllers.Replication;

/// <summary>
/// kube-controller-manager's replication manager: the ReplicaSet controller over ReplicationControllers seen as
/// ReplicaSets (their label-map selector as matchLabels), with their own status written back.
/// </summary>
public sealed class ReplicationManager(ControllerContext context)
    : ReplicaManager<V1ReplicationController>("replicationcontroller", "replication-controller", "v1", "ReplicationController", context)
{
    private protected override V1ReplicaSet View(V1ReplicationController owner) => new()
    {
        ApiVersion = "v1",
        Kind = "ReplicationController",
        Metadata = owner.Metadata,
        Spec = new V1ReplicaSetSpec
        {
            Replicas = owner.Spec?.Replicas,
            MinReadySeconds = owner.Spec?.MinReadySeconds,
            Selector = new V1LabelSelector { MatchLabels = owner.Spec?.Selector ?? new Dictionary<string, string>() },
            Template = owner.Spec?.Template ?? new V1PodTemplateSpec(),
        },
        Status = owner.Status is not { } status ? null : new V1ReplicaSetStatus
        {
            Replicas = status.Replicas,
            FullyLabeledReplicas = status.FullyLabeledReplicas,
            ReadyReplicas = status.ReadyReplicas,
            AvailableReplicas = status.AvailableReplicas,
            ObservedGeneration = status.ObservedGeneration,
            Conditions = status.Conditions?.Select(c => new V1ReplicaSetCondition { Status = c.Status, Type = c.Type, LastTransitionTime = c.LastTransitionTime, Message = c.Message, Reason = c.Reason }).ToList(),
        },
    };

    private protected override async Task ReplaceStatusAsync(V1ReplicationController owner, V1ReplicaSetStatus status, CancellationToken cancellationToken)
    {
        V1ReplicationController copy = ModelCopies.Copy(owner);
        copy.Status = new V1ReplicationControllerStatus
        {
            Replicas = status.Replicas,
            FullyLabeledReplicas = status.FullyLabeledReplicas,
            ReadyReplicas = status.ReadyReplicas,
            AvailableReplicas = status.AvailableReplicas,
            ObservedGeneration = status.ObservedGeneration,
            Conditions = status.Conditions?.Select(c => new V1ReplicationControllerCondition { Status = c.Status, Type = c.Type, LastTransitionTime = c.LastTransitionTime, Message = c.Message, Reason = c.Reason }).ToList(),
        };
        await Client.CoreV1.ReplaceNamespacedReplicationControllerStatusAsync(copy, owner.Metadata.Name, owner.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
    }
}
