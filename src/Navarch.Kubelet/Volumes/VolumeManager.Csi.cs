using k8s.Models;
using Navarch.Kubelet.Csi;

namespace Navarch.Kubelet.Volumes;

/// <summary>
/// CSI volumes: a PersistentVolume's <c>spec.csi</c> and a pod's inline <c>csi</c> volume go through
/// <see cref="CsiVolumes"/> (attach wait, NodeStageVolume, NodePublishVolume at
/// <c>volumes/kubernetes.io~csi/NAME/mount</c>), get the pod's fsGroup as the driver's fsGroupPolicy says, and a
/// persistent one is reported in volumesInUse as <c>kubernetes.io/csi/DRIVER^HANDLE</c>.
/// </summary>
internal sealed partial class VolumeManager
{
    /// <summary>The kubelet's CSI volume plugin; without it CSI volumes fail to mount.</summary>
    public CsiVolumes? Csi { get; init; }

    private async Task<(string Path, string? UniqueName)> SetUpCsiPersistentVolumeAsync(V1Pod pod, V1PersistentVolume pv, bool claimReadOnly, CancellationToken cancellationToken)
    {
        V1CSIPersistentVolumeSource csi = pv.Spec.Csi;
        string claimNamespace = pv.Spec.ClaimRef?.NamespaceProperty ?? pod.Metadata.NamespaceProperty;
        var request = new CsiMountRequest(
            pod,
            pv.Metadata.Name,
            csi.Driver,
            csi.VolumeHandle,
            claimReadOnly || csi.ReadOnlyProperty == true,
            csi.FsType ?? "",
            [.. pv.Spec.MountOptions ?? []],
            pv.Spec.AccessModes?.FirstOrDefault() ?? "ReadWriteOnce",
            new Dictionary<string, string>(csi.VolumeAttributes ?? new Dictionary<string, string>(), StringComparer.Ordinal),
            SecretRef(csi.NodeStageSecretRef, claimNamespace),
            SecretRef(csi.NodePublishSecretRef, claimNamespace),
            Ephemeral: false);
        string path = await SetUpCsiAsync(request, pod, cancellationToken).ConfigureAwait(false);
        return (path, CsiVolumes.UniqueName(csi.Driver, csi.VolumeHandle));
    }

    private Task<string> SetUpCsiInlineAsync(V1Pod pod, V1Volume volume, CancellationToken cancellationToken)
    {
        V1CSIVolumeSource csi = volume.Csi;
        var request = new CsiMountRequest(
            pod,
            volume.Name,
            csi.Driver,
            CsiVolumes.EphemeralHandle(pod.Metadata.Uid, volume.Name),
            csi.ReadOnlyProperty == true,
            csi.FsType ?? "",
            [],
            "ReadWriteOnce",
            new Dictionary<string, string>(csi.VolumeAttributes ?? new Dictionary<string, string>(), StringComparer.Ordinal),
            null,
            csi.NodePublishSecretRef?.Name is { Length: > 0 } secret ? (pod.Metadata.NamespaceProperty, secret) : null,
            Ephemeral: true);
        return SetUpCsiAsync(request, pod, cancellationToken);
    }

    private async Task<string> SetUpCsiAsync(CsiMountRequest request, V1Pod pod, CancellationToken cancellationToken)
    {
        if (Csi is null)
        {
            throw new VolumeSetupException($"kubernetes.io/csi: driver name {request.Driver} not found in the list of registered CSI drivers");
        }

        (string path, string fsGroupPolicy) = await Csi.SetUpAsync(request, VolumeDir(pod.Metadata.Uid, "csi", request.SpecName), cancellationToken).ConfigureAwait(false);

        // csi_mounter: the kubelet changes ownership for policy File, and for ReadWriteOnceWithFSType when the volume
        // has an fsType and is ReadWriteOnce; None leaves it to the driver.
        bool ownership = fsGroupPolicy == "File" || (fsGroupPolicy == "ReadWriteOnceWithFSType" && request.FsType.Length > 0 && request.AccessMode == "ReadWriteOnce");
        if (ownership && !request.ReadOnly && pod.Spec.SecurityContext?.FsGroup is long fsGroup)
        {
            SetOwnership(path, fsGroup, pod.Spec.SecurityContext.FsGroupChangePolicy);
        }

        return path;
    }

    private Task TearDownCsiAsync(string uid, CancellationToken cancellationToken) =>
        Csi?.TearDownPodAsync(Path.Combine(PodDir(uid), "volumes"), cancellationToken) ?? Task.CompletedTask;

    private static (string Namespace, string Name)? SecretRef(V1SecretReference? reference, string defaultNamespace) =>
        reference?.Name is { Length: > 0 } name ? (string.IsNullOrEmpty(reference.NamespaceProperty) ? defaultNamespace : reference.NamespaceProperty, name) : null;
}
