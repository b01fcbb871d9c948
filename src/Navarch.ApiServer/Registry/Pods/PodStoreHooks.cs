using k8s;
using k8s.Models;

namespace Navarch.ApiServer.Registry.Pods;

/// <summary>
/// Graceful pod deletion (the pod strategy's CheckGracefulDelete): a pod that runs on a node only gets a
/// deletionTimestamp and grace period — its own terminationGracePeriodSeconds (30 s by default) unless the client
/// asks for another — and stays until its kubelet has stopped it and deletes it with grace 0.
/// </summary>
internal sealed class PodStoreHooks : StoreHooks
{
    /// <inheritdoc />
    public override bool ReturnDeletedObject => true;

    public override long GracePeriodSeconds(IKubernetesObject<V1ObjectMeta> obj, long? requested) =>
        obj is V1Pod pod && !string.IsNullOrEmpty(pod.Spec?.NodeName)
            ? requested ?? pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds ?? 30
            : 0;

    /// <summary>A pod on its way out through its kubelet is not deleted by the update that removes its last finalizer.</summary>
    public override bool ShouldDeleteDuringUpdate(IKubernetesObject<V1ObjectMeta> obj) =>
        base.ShouldDeleteDuringUpdate(obj) && !(obj is V1Pod pod && !string.IsNullOrEmpty(pod.Spec?.NodeName) && pod.Metadata.DeletionGracePeriodSeconds is > 0);
}
