using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Api.Pods;

namespace Navarch.Kubelet.Volumes;

/// <summary>
/// persistentVolumeClaim and generic ephemeral volumes (the claim <c>&lt;pod&gt;-&lt;volume&gt;</c> the pod controls), as the kubelet's desired-state populator and its hostPath and local volume plugins:
/// the claim must be Bound (and not being deleted) to a PersistentVolume whose claimRef points back at it; a hostPath
/// volume is used in place, a local volume is bind-mounted at <c>volumes/kubernetes.io~local-volume/PV</c> (so that tear-down
/// unmounts it) and given the pod's fsGroup, and is reported in the node's volumesInUse.
/// </summary>
internal sealed partial class VolumeManager
{
    /// <summary>The file mode bits the kubelet adds for an fsGroup: group read/write, and execute on folders.</summary>
    private const UnixFileMode GroupReadWrite = UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _inUse = new(StringComparer.Ordinal);

    /// <summary>The unique names of the mounted volumes the node reports in status.volumesInUse, sorted.</summary>
    public IReadOnlyList<string> VolumesInUse() => [.. _inUse.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    private async Task<(string Path, string? UniqueName)> SetUpClaimAsync(V1Pod pod, V1Volume volume, CancellationToken cancellationToken)
    {
        string ns = pod.Metadata.NamespaceProperty;

        // A generic ephemeral volume is its claim <pod>-<volume>, used only when the pod controls it.
        V1PersistentVolumeClaimVolumeSource source = volume.PersistentVolumeClaim ?? new V1PersistentVolumeClaimVolumeSource { ClaimName = EphemeralVolumes.ClaimName(pod, volume) };
        string prefix = $"error processing PVC {ns}/{source.ClaimName}: ";
        V1PersistentVolumeClaim claim;
        try
        {
            claim = await _client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(source.ClaimName, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            throw new VolumeSetupException(prefix + $"failed to fetch PVC from API server: {Reason(e, "persistentvolumeclaims", source.ClaimName)}");
        }

        if (volume.PersistentVolumeClaim is null && EphemeralVolumes.NotForPod(pod, claim) is { } notOwned)
        {
            throw new VolumeSetupException(notOwned);
        }

        if (claim.Metadata.DeletionTimestamp is not null)
        {
            throw new VolumeSetupException(prefix + "PVC is being deleted");
        }

        if (claim.Status?.Phase != "Bound")
        {
            throw new VolumeSetupException(prefix + "PVC is not bound");
        }

        string pvName = claim.Spec.VolumeName;
        if (string.IsNullOrEmpty(pvName))
        {
            throw new VolumeSetupException(prefix + "PVC has empty pvc.Spec.VolumeName");
        }

        V1PersistentVolume pv;
        try
        {
            pv = await _client.CoreV1.ReadPersistentVolumeAsync(pvName, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            throw new VolumeSetupException(prefix + $"failed to fetch PV {pvName} from API server: {Reason(e, "persistentvolumes", pvName)}");
        }

        if (pv.Spec.ClaimRef is null)
        {
            throw new VolumeSetupException(prefix + $"found PV object {pvName} but it has a nil pv.Spec.ClaimRef indicating it is not yet bound to the claim");
        }

        if (pv.Spec.ClaimRef.Uid != claim.Metadata.Uid)
        {
            throw new VolumeSetupException(prefix + $"found PV object {pvName} but its pv.Spec.ClaimRef.UID {pv.Spec.ClaimRef.Uid} does not point to claim.UID {claim.Metadata.Uid}");
        }

        if (MapBlockVolume(pod, volume, pv) is { } device)
        {
            return device;
        }

        if (pv.Spec.HostPath is { } host)
        {
            HostPathCheck.Check(host.Path, host.Type);
            return (host.Path, null);
        }

        if (pv.Spec.Local is { } local)
        {
            if (!Directory.Exists(local.Path))
            {
                throw new VolumeSetupException($"MountVolume.NewMounter initialization failed for volume \"{pvName}\" : path \"{local.Path}\" does not exist");
            }

            string dir = VolumeDir(pod.Metadata.Uid, "local-volume", pvName);
            MountTable.EnsureBind(local.Path, dir);
            if (pod.Spec.SecurityContext?.FsGroup is long fsGroup && source.ReadOnlyProperty != true)
            {
                SetOwnership(dir, fsGroup, pod.Spec.SecurityContext.FsGroupChangePolicy);
            }

            return (dir, "kubernetes.io/local-volume/" + pvName);
        }

        if (pv.Spec.Csi is not null)
        {
            return await SetUpCsiPersistentVolumeAsync(pod, pv, source.ReadOnlyProperty == true, cancellationToken).ConfigureAwait(false);
        }

        throw new VolumeSetupException(prefix + $"PV {pvName}: this kubelet mounts hostPath, local and csi persistent volumes only");
    }

    /// <summary>
    /// The kubelet's SetVolumeOwnership: every file gets the group <paramref name="fsGroup"/> and group read/write,
    /// folders also group execute and setgid (so new files inherit the group). OnRootMismatch skips the walk when the
    /// root already has them.
    /// </summary>
    private static void SetOwnership(string root, long fsGroup, string? policy)
    {
        const uint setGid = 0x400;
        if (policy == "OnRootMismatch" && PosixFiles.StatGroup(root) == fsGroup && (PosixFiles.StatMode(root) & setGid) != 0)
        {
            return;
        }

        foreach (string path in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }).Prepend(root))
        {
            PosixFiles.SetGroup(path, fsGroup);
            bool folder = Directory.Exists(path);
            UnixFileMode mode = File.GetUnixFileMode(path) | GroupReadWrite;
            File.SetUnixFileMode(path, folder ? mode | UnixFileMode.GroupExecute | UnixFileMode.SetGroup : mode);
        }
    }

    private static string Reason(HttpOperationException e, string resource, string name) =>
        e.Response.StatusCode == System.Net.HttpStatusCode.NotFound ? $"{resource} \"{name}\" not found" : $"{(int)e.Response.StatusCode} {e.Response.ReasonPhrase}";
}
