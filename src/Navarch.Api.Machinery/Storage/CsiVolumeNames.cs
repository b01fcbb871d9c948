using System.Security.Cryptography;
using System.Text;

namespace Navarch.Api.Storage;

/// <summary>
/// The names the attach-detach controller, the built-in CSI attacher and the kubelet must agree on for a CSI volume
/// (Kubernetes' csi plugin): its unique name in a node's volumesInUse/volumesAttached and its VolumeAttachment's name.
/// </summary>
public static class CsiVolumeNames
{
    /// <summary><c>kubernetes.io/csi/DRIVER^HANDLE</c>.</summary>
    public static string UniqueName(string driver, string volumeHandle) => $"kubernetes.io/csi/{driver}^{volumeHandle}";

    /// <summary><c>csi-</c> and the hex SHA-256 of handle, driver and node name joined (getAttachmentName).</summary>
    public static string AttachmentName(string volumeHandle, string driver, string node) => "csi-" + Sha256(volumeHandle + driver + node);

    /// <summary>The hex SHA-256 of <paramref name="text"/>, as the csi plugin names its per-volume folders.</summary>
    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
