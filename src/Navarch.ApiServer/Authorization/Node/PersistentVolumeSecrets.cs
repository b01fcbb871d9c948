using k8s.Models;

namespace Navarch.ApiServer.Authorization.Node;

/// <summary>
/// The Secrets a kubelet reads to mount a PersistentVolume (Kubernetes' VisitPVSecretNames, kubelet-visible ones only:
/// not the CSI controller's publish and expand secrets), each in its own namespace or else the claim's.
/// </summary>
internal static class PersistentVolumeSecrets
{
    public static IEnumerable<(string Namespace, string Name)> KubeletVisible(V1PersistentVolume pv)
    {
        V1PersistentVolumeSpec spec = pv.Spec;
        string claimNamespace = spec.ClaimRef?.NamespaceProperty ?? "";
        IEnumerable<(string? Namespace, string? Name)> refs =
        [
            (spec.AzureFile?.SecretNamespace, spec.AzureFile?.SecretName),
            (spec.Cephfs?.SecretRef?.NamespaceProperty, spec.Cephfs?.SecretRef?.Name),
            (spec.Cinder?.SecretRef?.NamespaceProperty, spec.Cinder?.SecretRef?.Name),
            (spec.FlexVolume?.SecretRef?.NamespaceProperty, spec.FlexVolume?.SecretRef?.Name),
            (spec.Rbd?.SecretRef?.NamespaceProperty, spec.Rbd?.SecretRef?.Name),
            (spec.ScaleIO?.SecretRef?.NamespaceProperty, spec.ScaleIO?.SecretRef?.Name),
            (spec.Iscsi?.SecretRef?.NamespaceProperty, spec.Iscsi?.SecretRef?.Name),
            (spec.Storageos?.SecretRef?.NamespaceProperty, spec.Storageos?.SecretRef?.Name),
            (spec.Csi?.NodePublishSecretRef?.NamespaceProperty, spec.Csi?.NodePublishSecretRef?.Name),
            (spec.Csi?.NodeStageSecretRef?.NamespaceProperty, spec.Csi?.NodeStageSecretRef?.Name),
            (spec.Csi?.NodeExpandSecretRef?.NamespaceProperty, spec.Csi?.NodeExpandSecretRef?.Name),
        ];
        return refs.Where(r => !string.IsNullOrEmpty(r.Name)).Select(r => (string.IsNullOrEmpty(r.Namespace) ? claimNamespace : r.Namespace, r.Name!));
    }
}
