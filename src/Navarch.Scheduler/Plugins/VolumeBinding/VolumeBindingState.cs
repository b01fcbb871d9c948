using System.Collections.Concurrent;
using k8s.Models;

namespace Navarch.Scheduler.Plugins.VolumeBinding;

/// <summary>What PreFilter found of a pod's claims, and Filter's decision per node (written from many threads).</summary>
internal sealed class VolumeBindingState
{
    /// <summary>Bound claims with their volume (null when the volume does not exist).</summary>
    public List<(V1PersistentVolumeClaim Claim, V1PersistentVolume? Volume)> Bound { get; } = [];

    /// <summary>Unbound claims of a WaitForFirstConsumer class: the scheduler chooses their node.</summary>
    public List<V1PersistentVolumeClaim> Delayed { get; } = [];

    public ConcurrentDictionary<string, PodVolumeDecision> Decisions { get; } = new(StringComparer.Ordinal);

    /// <summary>The decision of the node Reserve chose.</summary>
    public PodVolumeDecision? Chosen { get; set; }
}
