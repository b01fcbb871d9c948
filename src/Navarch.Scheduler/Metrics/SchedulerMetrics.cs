using System.Diagnostics;
using Navarch.Scheduler.Queue;
using Prometheus;

namespace Navarch.Scheduler.Metrics;

/// <summary>
/// kube-scheduler's metrics (pkg/scheduler/metrics) with its names, labels and buckets:
/// <c>scheduler_schedule_attempts_total</c> and <c>scheduler_scheduling_attempt_duration_seconds</c> by result
/// (scheduled, unschedulable, error) and profile, and <c>scheduler_pending_pods</c> by queue, read from the scheduling
/// queue at each scrape.
/// </summary>
internal sealed class SchedulerMetrics
{
    private readonly Counter _attempts;

    private readonly Histogram _durations;

    private SchedulingQueue? _queue;

    public SchedulerMetrics(CollectorRegistry registry)
    {
        MetricFactory factory = Prometheus.Metrics.WithCustomRegistry(registry);
        _attempts = factory.CreateCounter("scheduler_schedule_attempts_total", "Number of attempts to schedule pods, by the result. 'unschedulable' means a pod could not be scheduled, while 'error' means an internal scheduler problem.", ["result", "profile"]);
        _durations = factory.CreateHistogram("scheduler_scheduling_attempt_duration_seconds", "Scheduling attempt latency in seconds (scheduling algorithm + binding)", ["result", "profile"], new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 15) });
        Gauge pending = factory.CreateGauge("scheduler_pending_pods", "Number of pending pods, by the queue type. 'active' means number of pods in activeQ; 'backoff' means number of pods in backoffQ; 'unschedulable' means number of pods in unschedulablePods that the scheduler attempted to schedule and failed; 'gated' is the number of unschedulable pods that the scheduler never attempted to schedule because they are gated.", ["queue"]);
        registry.AddBeforeCollectCallback(() =>
        {
            SchedulingQueue? queue = _queue;
            pending.WithLabels("active").Set(queue?.ActiveCount ?? 0);
            pending.WithLabels("backoff").Set(queue?.BackoffCount ?? 0);
            pending.WithLabels("unschedulable").Set(queue?.ParkedCount ?? 0);
            pending.WithLabels("gated").Set(0);
        });
    }

    /// <summary>The queue whose pods <c>scheduler_pending_pods</c> counts (the one of the running scheduler).</summary>
    public void Watch(SchedulingQueue? queue) => _queue = queue;

    /// <summary>Records one attempt that started at <paramref name="startTimestamp"/> and ended with <paramref name="result"/>.</summary>
    public void Attempt(string result, string profile, long startTimestamp)
    {
        _attempts.WithLabels(result, profile).Inc();
        _durations.WithLabels(result, profile).Observe(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);
    }
}
