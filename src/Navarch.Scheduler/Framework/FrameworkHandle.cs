using k8s;
using k8s.Models;
using Navarch.Scheduler.Cache;

namespace Navarch.Scheduler.Framework;

/// <summary>What plugins may reach beyond their arguments: the cycle's snapshot, the API, pod priorities, PDBs, and their own profile.</summary>
internal sealed class FrameworkHandle
{
    public Snapshot Snapshot { get; set; } = new();

    public IKubernetes? Client { get; init; }

    public Func<V1Pod, int> PriorityOf { get; init; } = p => p.Spec.Priority ?? 0;

    public Func<IReadOnlyList<V1PodDisruptionBudget>> DisruptionBudgets { get; init; } = () => [];

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The selector of the system default topology spread constraints for a pod (its Services' and controllers'), or null.</summary>
    public Func<V1Pod, V1LabelSelector?> DefaultSpreadSelector { get; init; } = _ => null;

    /// <summary>A namespace's labels, for pod affinity terms with a namespaceSelector.</summary>
    public Plugins.InterPodAffinity.NamespaceLabels NamespaceLabels { get; init; } = _ => null;

    /// <summary>Claims, volumes and classes, for VolumeBinding.</summary>
    public Plugins.VolumeBinding.VolumeObjects Volumes { get; init; } = Plugins.VolumeBinding.VolumeObjects.Empty;

    /// <summary>Pods nominated to nodes by preemption, counted when filtering others of no higher priority.</summary>
    public Nominator Nominator { get; init; } = new();

    /// <summary>The profile the plugin belongs to (set once it is built), for what-if filtering in preemption.</summary>
    public Profile? Profile { get; set; }
}
