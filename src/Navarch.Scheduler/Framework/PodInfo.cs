using k8s.Models;

namespace Navarch.Scheduler.Framework;

/// <summary>A pod as the cache holds it, with what it requests worked out once.</summary>
internal sealed class PodInfo(V1Pod pod)
{
    public V1Pod Pod { get; } = pod;

    public string Key { get; } = $"{pod.Metadata.NamespaceProperty}/{pod.Metadata.Name}";

    public Resource Requests { get; } = PodRequests.Compute(pod);

    public Resource NonZeroRequests { get; } = PodRequests.Compute(pod, nonZero: true);

    public bool HasAffinity => Pod.Spec.Affinity?.PodAffinity is not null || Pod.Spec.Affinity?.PodAntiAffinity is not null;

    public bool HasRequiredAntiAffinity => Pod.Spec.Affinity?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution is { Count: > 0 };
}
