using k8s.Models;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.VolumeBinding;

namespace Navarch.Scheduler.Plugins.VolumeRestrictions;

/// <summary>
/// kube-scheduler's VolumeRestrictions: a node where another pod mounts the same disk read-write (a GCE PD or an iSCSI
/// or RBD volume unless both are read-only; an AWS EBS volume at all) is refused (<see cref="DiskConflict"/>), and a
/// claim with the ReadWriteOncePod access mode that a scheduled pod already uses makes every node refuse the pod
/// (<see cref="ReadWriteOncePodConflict"/>, Unschedulable so that preemption may free it). PreFilter counts the
/// scheduled pods using the pod's ReadWriteOncePod claims; preemption's what-ifs move that count.
/// </summary>
internal sealed class VolumeRestrictionsPlugin(FrameworkHandle handle) : IPreFilterPlugin, IPreFilterExtensions, IFilterPlugin
{
    public const string PluginName = "VolumeRestrictions";
    public const string DiskConflict = "node(s) had no available disk";
    public const string ReadWriteOncePodConflict = "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode";
    private const string StateKey = "PreFilter" + PluginName;

    public string Name => PluginName;

    private VolumeObjects Objects => handle.Volumes;

    public Status PreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        bool needsCheck = pod.Spec?.Volumes?.Any(NeedsRestrictionsCheck) == true;
        var readWriteOncePod = new HashSet<string>(StringComparer.Ordinal);
        foreach (V1Volume volume in pod.Spec?.Volumes ?? [])
        {
            if (volume.PersistentVolumeClaim is not { } source)
            {
                continue;
            }

            V1PersistentVolumeClaim? claim = Objects.Claim(pod.Metadata.NamespaceProperty, source.ClaimName);
            if (claim is null)
            {
                return Status.Unresolvable($"persistentvolumeclaim \"{source.ClaimName}\" not found");
            }

            if (claim.Spec?.AccessModes?.Contains("ReadWriteOncePod") == true)
            {
                readWriteOncePod.Add(claim.Metadata.Name);
            }
        }

        // There can be at most one scheduled pod using a ReadWriteOncePod claim.
        int conflicts = readWriteOncePod.Count == 0 ? 0
            : readWriteOncePod.Count(name => handle.Snapshot.Nodes.Any(n => n.Pods.Any(p => p.Pod.Metadata.NamespaceProperty == pod.Metadata.NamespaceProperty && ClaimNames(p.Pod).Contains(name))));
        if (!needsCheck && conflicts == 0)
        {
            return Status.Skip;
        }

        state.Write(StateKey, new RestrictionsState(readWriteOncePod, conflicts));
        return Status.Success;
    }

    public void AddPod(CycleState state, V1Pod podToSchedule, PodInfo podToAdd, NodeInfo node) => Update(state, podToSchedule, podToAdd, +1);

    public void RemovePod(CycleState state, V1Pod podToSchedule, PodInfo podToRemove, NodeInfo node) => Update(state, podToSchedule, podToRemove, -1);

    public Status Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        foreach (V1Volume volume in pod.Spec?.Volumes ?? [])
        {
            if (NeedsRestrictionsCheck(volume) && node.Pods.Any(existing => Conflicts(volume, existing.Pod)))
            {
                return Status.Unschedulable(DiskConflict);
            }
        }

        return state.Read<RestrictionsState>(StateKey) is { ConflictingReferences: > 0 } ? Status.Unschedulable(ReadWriteOncePodConflict) : Status.Success;
    }

    private static void Update(CycleState state, V1Pod pod, PodInfo other, int sign)
    {
        if (state.Read<RestrictionsState>(StateKey) is not { } s || other.Pod.Metadata.NamespaceProperty != pod.Metadata.NamespaceProperty)
        {
            return;
        }

        // The state is shared with the cycle it was cloned from: write a new one.
        int references = ClaimNames(other.Pod).Count(s.ReadWriteOncePodClaims.Contains);
        state.Write(StateKey, s with { ConflictingReferences = s.ConflictingReferences + (sign * references) });
    }

    private static IEnumerable<string> ClaimNames(V1Pod pod) =>
        (pod.Spec?.Volumes ?? []).Select(v => v.PersistentVolumeClaim?.ClaimName).OfType<string>();

    /// <summary>The in-line volume kinds whose sharing is restricted.</summary>
    private static bool NeedsRestrictionsCheck(V1Volume v) => v.GcePersistentDisk is not null || v.AwsElasticBlockStore is not null || v.Rbd is not null || v.Iscsi is not null;

    /// <summary>isVolumeConflict: whether <paramref name="volume"/> may not be mounted beside <paramref name="pod"/>'s volumes.</summary>
    private static bool Conflicts(V1Volume volume, V1Pod pod)
    {
        foreach (V1Volume existing in pod.Spec?.Volumes ?? [])
        {
            if (volume.GcePersistentDisk is { } disk && existing.GcePersistentDisk is { } other
                && disk.PdName == other.PdName && !(disk.ReadOnlyProperty == true && other.ReadOnlyProperty == true))
            {
                return true;
            }

            if (volume.AwsElasticBlockStore is { } ebs && existing.AwsElasticBlockStore is { } otherEbs && ebs.VolumeID == otherEbs.VolumeID)
            {
                return true;
            }

            if (volume.Iscsi is { } iscsi && existing.Iscsi is { } otherIscsi
                && iscsi.Iqn == otherIscsi.Iqn && !(iscsi.ReadOnlyProperty == true && otherIscsi.ReadOnlyProperty == true))
            {
                return true;
            }

            if (volume.Rbd is { } rbd && existing.Rbd is { } otherRbd
                && (rbd.Monitors ?? []).Intersect(otherRbd.Monitors ?? [], StringComparer.Ordinal).Any()
                && rbd.Pool == otherRbd.Pool && rbd.Image == otherRbd.Image
                && !(rbd.ReadOnlyProperty == true && otherRbd.ReadOnlyProperty == true))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The pod's ReadWriteOncePod claims, and how many references scheduled pods hold to them.</summary>
    private sealed record RestrictionsState(HashSet<string> ReadWriteOncePodClaims, int ConflictingReferences);
}
