using k8s.Models;

namespace Navarch.Controllers.VolumeExpand;

/// <summary>
/// The controller side of a CSI driver's volume expansion (what the external-resizer sidecar calls:
/// ControllerExpandVolume). The expand controller calls it for bound claims whose request outgrew their capacity, on
/// volumes of <see cref="DriverName"/>; growing the filesystem is the node's part (NodeExpandVolume in the kubelet).
/// </summary>
public interface IVolumeResizer
{
    /// <summary>The CSI driver whose volumes this resizer grows (a PersistentVolume's spec.csi.driver).</summary>
    string DriverName { get; }

    /// <summary>Grows the storage behind <paramref name="volume"/> to at least <paramref name="requested"/>; throws with a message for the user when it cannot.</summary>
    Task<VolumeResizeResult> ControllerExpandAsync(V1PersistentVolume volume, ResourceQuantity requested, CancellationToken cancellationToken);
}
