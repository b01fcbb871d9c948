using k8s.Models;

namespace Navarch.Kubelet.Metrics;

/// <summary>
/// One pod's start for <c>kubelet_pod_start_sli_duration_seconds</c> (the kubelet's pod startup latency tracker): from
/// the pod's creation to the first status in which every container runs, less the span from its first image pull's
/// start to its last pull's end. A pod whose containers already ran when its worker first saw it (adopted after a
/// restart) is not measured.
/// </summary>
internal sealed class PodStartupLatency(KubeletMetrics metrics)
{
    private DateTimeOffset? _firstPulling;
    private DateTimeOffset? _lastPulled;
    private bool _seen;
    private bool _done;

    /// <summary>An image pull for the pod ran from <paramref name="started"/> to <paramref name="finished"/>.</summary>
    public void Pulled(DateTimeOffset started, DateTimeOffset finished)
    {
        _firstPulling ??= started;
        _lastPulled = finished;
    }

    /// <summary>Looks at a status the worker built at <paramref name="now"/>; the first with every container running is observed.</summary>
    public void StatusBuilt(V1Pod pod, V1PodStatus status, DateTimeOffset now)
    {
        bool running = status.ContainerStatuses is { Count: > 0 } containers && containers.All(c => c.State?.Running is not null);
        bool first = !_seen;
        _seen = true;
        if (_done || !running)
        {
            return;
        }

        _done = true;
        if (first || pod.Metadata.CreationTimestamp is not { } created)
        {
            return;
        }

        TimeSpan pulling = _firstPulling is { } from && _lastPulled is { } to ? to - from : TimeSpan.Zero;
        metrics.PodStarted(now - new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)) - pulling, pod.Spec.HostNetwork == true);
    }
}
