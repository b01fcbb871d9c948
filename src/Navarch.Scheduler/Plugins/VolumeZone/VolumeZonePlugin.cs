using k8s.Models;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.VolumeBinding;

namespace Navarch.Scheduler.Plugins.VolumeZone;

/// <summary>
/// kube-scheduler's VolumeZone: the zone and region labels of the volumes a pod's bound claims name
/// (<c>topology.kubernetes.io/zone|region</c> and their failure-domain.beta forms; a value may list several zones
/// joined by <c>__</c>) must match the node's — a node with none of those labels takes any volume (a single-zone
/// cluster), a node in another zone is refused (<see cref="Conflict"/>, unresolvable). Unbound claims of a
/// WaitForFirstConsumer class are VolumeBinding's; any other unbound claim, or a missing claim, class or volume, rejects
/// the pod with Kubernetes' messages.
/// </summary>
internal sealed class VolumeZonePlugin(FrameworkHandle handle) : IPreFilterPlugin, IFilterPlugin
{
    public const string PluginName = "VolumeZone";
    public const string Conflict = "node(s) had no available volume zone";
    private const string StateKey = "PreFilter" + PluginName;
    private const string BetaZone = "failure-domain.beta.kubernetes.io/zone";
    private const string BetaRegion = "failure-domain.beta.kubernetes.io/region";
    private const string Zone = "topology.kubernetes.io/zone";
    private const string Region = "topology.kubernetes.io/region";
    private static readonly string[] TopologyLabels = [BetaZone, BetaRegion, Zone, Region];

    public string Name => PluginName;

    private VolumeObjects Objects => handle.Volumes;

    public Status PreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        (List<VolumeTopology> topologies, Status status) = TopologiesOf(pod);
        if (!status.IsSuccess)
        {
            return status;
        }

        if (topologies.Count == 0)
        {
            return Status.Skip;
        }

        state.Write(StateKey, topologies);
        return Status.Success;
    }

    public Status Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        if (pod.Spec?.Volumes is not { Count: > 0 } || node.Node?.Metadata.Labels is not { } labels)
        {
            return Status.Success;
        }

        List<VolumeTopology>? topologies = state.Read<List<VolumeTopology>>(StateKey);
        if (topologies is null)
        {
            (topologies, Status status) = TopologiesOf(pod);
            if (!status.IsSuccess)
            {
                return status;
            }
        }

        if (!TopologyLabels.Any(labels.ContainsKey))
        {
            return Status.Success;
        }

        foreach (VolumeTopology topology in topologies)
        {
            // A volume's beta label matches the node's GA label too.
            if (!(labels.TryGetValue(topology.Key, out string? value) || labels.TryGetValue(ToGeneralAvailability(topology.Key), out value))
                || !topology.Values.Contains(value))
            {
                return Status.Unresolvable(Conflict);
            }
        }

        return Status.Success;
    }

    /// <summary>getPVbyPod: the topology labels of the volumes the pod's persistentVolumeClaim volumes are bound to.</summary>
    private (List<VolumeTopology> Topologies, Status Status) TopologiesOf(V1Pod pod)
    {
        var topologies = new List<VolumeTopology>();
        foreach (V1Volume volume in pod.Spec?.Volumes ?? [])
        {
            if (volume.PersistentVolumeClaim is not { } source)
            {
                continue;
            }

            if (string.IsNullOrEmpty(source.ClaimName))
            {
                return ([], Status.Unresolvable("PersistentVolumeClaim had no name"));
            }

            if (Objects.Claim(pod.Metadata.NamespaceProperty, source.ClaimName) is not { } claim)
            {
                return ([], Status.Unresolvable($"persistentvolumeclaim \"{source.ClaimName}\" not found"));
            }

            string? volumeName = claim.Spec?.VolumeName;
            if (string.IsNullOrEmpty(volumeName))
            {
                string? className = claim.Spec?.StorageClassName
                    ?? (claim.Metadata.Annotations?.TryGetValue("volume.beta.kubernetes.io/storage-class", out string? beta) == true ? beta : null);
                if (string.IsNullOrEmpty(className))
                {
                    return ([], Status.Unresolvable("PersistentVolumeClaim had no pv name and storageClass name"));
                }

                if (Objects.StorageClass(className) is not { } storageClass)
                {
                    return ([], Status.Unresolvable($"storageclass.storage.k8s.io \"{className}\" not found"));
                }

                if (storageClass.VolumeBindingMode is null)
                {
                    return ([], Status.Unresolvable($"VolumeBindingMode not set for StorageClass \"{className}\""));
                }

                if (storageClass.VolumeBindingMode == "WaitForFirstConsumer")
                {
                    continue;
                }

                return ([], Status.Unresolvable("PersistentVolume had no name"));
            }

            if (Objects.Volume(volumeName) is not { } pv)
            {
                return ([], Status.Unresolvable($"persistentvolume \"{volumeName}\" not found"));
            }

            topologies.AddRange(TopologiesOf(pv));
        }

        return (topologies, Status.Success);
    }

    /// <summary>The volume's topology labels; a value that does not parse is ignored, as Kubernetes does.</summary>
    private static IEnumerable<VolumeTopology> TopologiesOf(V1PersistentVolume volume)
    {
        foreach (string key in TopologyLabels)
        {
            if (volume.Metadata.Labels?.TryGetValue(key, out string? value) == true && Zones(value) is { } zones)
            {
                yield return new VolumeTopology(volume.Metadata.Name, key, zones);
            }
        }
    }

    /// <summary>LabelZonesToSet: zones joined by "__", trimmed; null when one is empty.</summary>
    private static HashSet<string>? Zones(string value)
    {
        string[] zones = value.Split("__").Select(z => z.Trim()).ToArray();
        return zones.Any(z => z.Length == 0) ? null : new HashSet<string>(zones, StringComparer.Ordinal);
    }

    private static string ToGeneralAvailability(string label) => label switch
    {
        BetaRegion => Region,
        BetaZone => Zone,
        _ => label,
    };

    private sealed record VolumeTopology(string VolumeName, string Key, HashSet<string> Values);
}
