using System.Security.Cryptography;
using k8s.Models;
using Navarch.Api.Pods;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.VolumeBinding;

namespace Navarch.Scheduler.Plugins.NodeVolumeLimits;

/// <summary>
/// kube-scheduler's NodeVolumeLimits (CSILimits): a node takes at most as many volumes of a CSI driver as its CSINode
/// says (<c>spec.drivers[].allocatable.count</c>). The pod's claims are counted by unique volume (driver and handle of the
/// bound PersistentVolume's csi source; an unbound claim counts as a new volume of its class's provisioner), together
/// with the volumes the node's pods already use, each once however many pods share it; more than the limit is
/// Unschedulable with <see cref="MaxVolumeCountExceeded"/>. A pod's missing claim is UnschedulableAndUnresolvable.
/// </summary>
internal sealed class NodeVolumeLimitsPlugin(FrameworkHandle handle) : IPreFilterPlugin, IFilterPlugin
{
    public const string PluginName = "NodeVolumeLimits";
    public const string MaxVolumeCountExceeded = "node(s) exceed max volume count";

    /// <summary>
    /// Unbound claims get a made-up handle under this prefix (random per scheduler, as Kubernetes), so they never equal
    /// a real volume's handle.
    /// </summary>
    private readonly string _unboundPrefix = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public string Name => PluginName;

    private VolumeObjects Objects => handle.Volumes;

    public Status PreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes) =>
        pod.Spec?.Volumes?.Any(v => v.PersistentVolumeClaim is not null || v.Ephemeral is not null) == true ? Status.Success : Status.Skip;

    public Status Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        if (node.Node is not { } n || pod.Spec?.Volumes is not { Count: > 0 })
        {
            return Status.Success;
        }

        var newVolumes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (AttachableVolumes(pod, newPod: true, newVolumes) is { } missing)
        {
            return Status.Unresolvable(missing);
        }

        Dictionary<string, int> limits = Limits(n.Metadata.Name);
        if (newVolumes.Count == 0 || limits.Count == 0)
        {
            return Status.Success;
        }

        var attached = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (PodInfo existing in node.Pods)
        {
            AttachableVolumes(existing.Pod, newPod: false, attached);
        }

        var attachedCount = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach ((string volume, string driver) in attached)
        {
            // A volume the node already uses costs nothing more.
            newVolumes.Remove(volume);
            attachedCount[driver] = attachedCount.GetValueOrDefault(driver) + 1;
        }

        foreach (IGrouping<string, string> perDriver in newVolumes.Values.GroupBy(d => d, StringComparer.Ordinal))
        {
            if (limits.TryGetValue(perDriver.Key, out int limit) && attachedCount.GetValueOrDefault(perDriver.Key) + perDriver.Count() > limit)
            {
                return Status.Unschedulable(MaxVolumeCountExceeded);
            }
        }

        return Status.Success;
    }

    /// <summary>The per-driver volume limits of a node: its CSINode's drivers with an allocatable count.</summary>
    private Dictionary<string, int> Limits(string nodeName)
    {
        var limits = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (V1CSINodeDriver driver in Objects.CsiNode(nodeName)?.Spec?.Drivers ?? [])
        {
            if (driver.Allocatable?.Count is int count)
            {
                limits[driver.Name] = count;
            }
        }

        return limits;
    }

    /// <summary>
    /// filterAttachableVolumes: adds the pod's CSI volumes (unique name → driver) to <paramref name="result"/>. For a new
    /// pod, a missing claim (or an ephemeral claim that is not the pod's) is the answer; an existing pod's is skipped.
    /// </summary>
    private string? AttachableVolumes(V1Pod pod, bool newPod, Dictionary<string, string> result)
    {
        string ns = pod.Metadata.NamespaceProperty;
        foreach (V1Volume volume in pod.Spec?.Volumes ?? [])
        {
            bool ephemeral = volume.PersistentVolumeClaim is null && volume.Ephemeral is not null;
            string? claimName = volume.PersistentVolumeClaim?.ClaimName ?? (ephemeral ? EphemeralVolumes.ClaimName(pod, volume) : null);
            if (claimName is null)
            {
                continue;
            }

            V1PersistentVolumeClaim? claim = Objects.Claim(ns, claimName);
            if (claim is null)
            {
                if (newPod)
                {
                    return $"looking up PVC {ns}/{claimName}: persistentvolumeclaim \"{claimName}\" not found";
                }

                continue;
            }

            if (ephemeral && EphemeralVolumes.NotForPod(pod, claim) is { } notOwned)
            {
                if (newPod)
                {
                    return notOwned;
                }

                continue;
            }

            if (DriverAndHandle(claim) is ({ } driver, { } handleName))
            {
                result[driver + "/" + handleName] = driver;
            }
        }

        return null;
    }

    /// <summary>getCSIDriverInfo: the bound volume's CSI driver and handle, else its class's provisioner and a made-up handle.</summary>
    private (string? Driver, string? Handle) DriverAndHandle(V1PersistentVolumeClaim claim)
    {
        if (!string.IsNullOrEmpty(claim.Spec.VolumeName) && Objects.Volume(claim.Spec.VolumeName) is { } volume)
        {
            return volume.Spec.Csi is { } csi ? (csi.Driver, csi.VolumeHandle) : (null, null);
        }

        // Not bound yet (or bound to a volume not seen yet): a new volume of the class's provisioner.
        V1StorageClass? storageClass = Objects.StorageClass(claim.Spec.StorageClassName);
        return storageClass is null ? (null, null) : (storageClass.Provisioner, $"{_unboundPrefix}-{claim.Metadata.NamespaceProperty}/{claim.Metadata.Name}");
    }
}
