using k8s.Models;

namespace Navarch.Api.Pods;

/// <summary>
/// Generic ephemeral volumes, as Kubernetes' <c>component-helpers/storage/ephemeral</c>: the claim of a pod's
/// <c>ephemeral</c> volume is named <c>&lt;pod&gt;-&lt;volume&gt;</c>, and is the pod's only when the pod is its
/// controller — a claim of that name made by anyone else is never used in its place. The ephemeral volume controller,
/// the scheduler and the kubelet all ask here.
/// </summary>
public static class EphemeralVolumes
{
    /// <summary>The name of the claim of <paramref name="pod"/>'s ephemeral volume <paramref name="volume"/>.</summary>
    public static string ClaimName(V1Pod pod, V1Volume volume)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(volume);
        return $"{pod.Metadata?.Name}-{volume.Name}";
    }

    /// <summary>
    /// Null when <paramref name="claim"/> is the one made for <paramref name="pod"/> (same namespace, the pod its
    /// controller), else Kubernetes' error saying it is not (VolumeIsForPod).
    /// </summary>
    public static string? NotForPod(V1Pod pod, V1PersistentVolumeClaim claim)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(claim);
        bool owned = claim.Metadata?.NamespaceProperty == pod.Metadata?.NamespaceProperty
            && claim.Metadata?.OwnerReferences?.Any(o => o.Controller == true && o.Uid == pod.Metadata?.Uid) == true;
        return owned ? null
            : $"PVC {claim.Metadata?.NamespaceProperty}/{claim.Metadata?.Name} was not created for pod {pod.Metadata?.NamespaceProperty}/{pod.Metadata?.Name} (pod is not owner)";
    }
}
