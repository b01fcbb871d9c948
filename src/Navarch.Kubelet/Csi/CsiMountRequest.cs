using k8s.Models;

namespace Navarch.Kubelet.Csi;

/// <summary>
/// One CSI volume of one pod, as the kubelet's CSI plugin sees it: from a PersistentVolume's <c>spec.csi</c> (with
/// <see cref="Ephemeral"/> false) or a pod's inline <c>csi</c> volume (true).
/// </summary>
/// <param name="Pod">The pod that mounts it.</param>
/// <param name="SpecName">The PV's name, or the pod volume's name for an inline volume (names the pod's volume folder).</param>
/// <param name="Driver">The CSI driver's name.</param>
/// <param name="VolumeHandle">The driver's volume ID.</param>
/// <param name="ReadOnly">Mount read-only (the PV's or claim's readOnly, or the inline volume's).</param>
/// <param name="FsType">The filesystem type, empty for the driver's default.</param>
/// <param name="MountOptions">The PV's mountOptions.</param>
/// <param name="AccessMode">The PV's first access mode (ReadWriteOnce for inline volumes).</param>
/// <param name="VolumeAttributes">The volume context.</param>
/// <param name="StageSecret">nodeStageSecretRef (namespace, name), if any.</param>
/// <param name="PublishSecret">nodePublishSecretRef (namespace, name), if any.</param>
/// <param name="Ephemeral">An inline volume: no attach and no staging, its handle made from the pod and volume.</param>
internal sealed record CsiMountRequest(
    V1Pod Pod,
    string SpecName,
    string Driver,
    string VolumeHandle,
    bool ReadOnly,
    string FsType,
    IReadOnlyList<string> MountOptions,
    string AccessMode,
    IReadOnlyDictionary<string, string> VolumeAttributes,
    (string Namespace, string Name)? StageSecret,
    (string Namespace, string Name)? PublishSecret,
    bool Ephemeral);
