using k8s;
using k8s.Models;

namespace Navarch.Controllers.ReplicaSet;

/// <summary>kube-controller-manager's ReplicaSet controller: <see cref="ReplicaManager{T}"/> over apps/v1 ReplicaSets.</summary>
public sealed class ReplicaSetController(ControllerContext context)
    : ReplicaManager<V1ReplicaSet>("replicaset", "replicaset-controller", "apps/v1", "ReplicaSet", context)
{
    private protected override V1ReplicaSet View(V1ReplicaSet owner) => owner;

    private protected override async Task ReplaceStatusAsync(V1ReplicaSet owner, V1ReplicaSetStatus status, CancellationToken cancellationToken)
    {
        V1ReplicaSet copy = ModelCopies.Copy(owner);
        copy.Status = status;
        await Client.AppsV1.ReplaceNamespacedReplicaSetStatusAsync(copy, owner.Metadata.Name, owner.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
    }
}
