using k8s.Models;

namespace Navarch.Api.Storage;

/// <summary>
/// The storage annotations the PersistentVolume controller, the scheduler's VolumeBinding, the built-in provisioner
/// and the CSI sidecars, the API server's strategies and admission all read and write, in one place, with the
/// class lookups that honour the beta annotation (Kubernetes' storage helpers in component-helpers/storage/volume).
/// </summary>
public static class StorageAnnotations
{
    /// <summary>On a claim: the controller finished the two-sided bind.</summary>
    public const string BindCompleted = "pv.kubernetes.io/bind-completed";

    /// <summary>On a claim or volume: the controller (not a user) set the binding.</summary>
    public const string BoundByController = "pv.kubernetes.io/bound-by-controller";

    /// <summary>On a volume: the provisioner that made it.</summary>
    public const string ProvisionedBy = "pv.kubernetes.io/provisioned-by";

    /// <summary>On a claim: the provisioner asked to make its volume.</summary>
    public const string StorageProvisioner = "volume.kubernetes.io/storage-provisioner";

    /// <summary>The beta spelling of <see cref="StorageProvisioner"/>, still set for older provisioners.</summary>
    public const string BetaStorageProvisioner = "volume.beta.kubernetes.io/storage-provisioner";

    /// <summary>On a claim of a WaitForFirstConsumer class: the node the scheduler chose.</summary>
    public const string SelectedNode = "volume.kubernetes.io/selected-node";

    /// <summary>The beta storage class annotation, read before spec.storageClassName.</summary>
    public const string BetaStorageClass = "volume.beta.kubernetes.io/storage-class";

    /// <summary>GetPersistentVolumeClaimClass: the beta annotation, else spec.storageClassName, else "".</summary>
    public static string ClaimClass(V1PersistentVolumeClaim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return claim.Metadata?.Annotations?.TryGetValue(BetaStorageClass, out string? c) == true ? c : claim.Spec?.StorageClassName ?? "";
    }

    /// <summary>GetPersistentVolumeClass: the beta annotation, else spec.storageClassName, else "".</summary>
    public static string VolumeClass(V1PersistentVolume volume)
    {
        ArgumentNullException.ThrowIfNull(volume);
        return volume.Metadata?.Annotations?.TryGetValue(BetaStorageClass, out string? c) == true ? c : volume.Spec?.StorageClassName ?? "";
    }

    /// <summary>True when <paramref name="obj"/> carries <paramref name="annotation"/> (any value).</summary>
    public static bool Has(V1ObjectMeta obj, string annotation) => obj?.Annotations?.ContainsKey(annotation) == true;

    /// <summary>The value of <paramref name="annotation"/> on <paramref name="obj"/>, or null.</summary>
    public static string? Get(V1ObjectMeta obj, string annotation) =>
        obj?.Annotations is { } annotations && annotations.TryGetValue(annotation, out string? value) ? value : null;

    /// <summary>Sets <paramref name="annotation"/> to <paramref name="value"/> on <paramref name="obj"/>.</summary>
    public static void Set(V1ObjectMeta obj, string annotation, string value)
    {
        ArgumentNullException.ThrowIfNull(obj);
        obj.Annotations ??= new Dictionary<string, string>();
        obj.Annotations[annotation] = value;
    }
}
