using k8s.Models;

namespace Navarch.Scheduler.Queue;

/// <summary>A pending pod in the scheduling queue, with its attempts (for back-off) and arrival (for ordering).</summary>
internal sealed class QueuedPod(V1Pod pod, int priority, long sequence)
{
    public V1Pod Pod { get; set; } = pod;

    public string Key { get; } = $"{pod.Metadata.NamespaceProperty}/{pod.Metadata.Name}";

    public int Priority { get; set; } = priority;

    /// <summary>Arrival order: ties in priority go first in, first out.</summary>
    public long Sequence { get; set; } = sequence;

    public int Attempts { get; set; }

    /// <summary>When the last failed attempt ended (back-off counts from here).</summary>
    public DateTimeOffset LastFailure { get; set; }

    /// <summary>When the pod was parked as unschedulable.</summary>
    public DateTimeOffset ParkedAt { get; set; }
}
