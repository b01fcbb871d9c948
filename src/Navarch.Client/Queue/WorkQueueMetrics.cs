using System.Diagnostics;
using Prometheus;

namespace Navarch.Client.Queue;

/// <summary>
/// client-go's workqueue metrics for one named queue (component-base's workqueue provider): <c>workqueue_depth</c>,
/// <c>workqueue_adds_total</c>, <c>workqueue_queue_duration_seconds</c> (added → taken),
/// <c>workqueue_work_duration_seconds</c> (taken → done) and <c>workqueue_retries_total</c>, labelled <c>name</c>.
/// </summary>
public sealed class WorkQueueMetrics
{
    /// <summary>client-go's buckets: 10 ns to 10 s, by tens.</summary>
    private static readonly double[] Buckets = Histogram.ExponentialBuckets(10e-9, 10, 10);

    private readonly Gauge.Child _depth;

    private readonly Counter.Child _adds;

    private readonly Histogram.Child _queueDuration;

    private readonly Histogram.Child _workDuration;

    private readonly Counter.Child _retries;

    private WorkQueueMetrics(Gauge.Child depth, Counter.Child adds, Histogram.Child queueDuration, Histogram.Child workDuration, Counter.Child retries)
    {
        _depth = depth;
        _adds = adds;
        _queueDuration = queueDuration;
        _workDuration = workDuration;
        _retries = retries;
    }

    /// <summary>The metrics of the queue <paramref name="name"/> in <paramref name="factory"/>'s registry (created once per registry, shared by its queues).</summary>
    public static WorkQueueMetrics For(IMetricFactory factory, string name)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return new WorkQueueMetrics(
            factory.CreateGauge("workqueue_depth", "Current depth of workqueue", ["name"]).WithLabels(name),
            factory.CreateCounter("workqueue_adds_total", "Total number of adds handled by workqueue", ["name"]).WithLabels(name),
            factory.CreateHistogram("workqueue_queue_duration_seconds", "How long in seconds an item stays in workqueue before being requested.", ["name"], new HistogramConfiguration { Buckets = Buckets }).WithLabels(name),
            factory.CreateHistogram("workqueue_work_duration_seconds", "How long in seconds processing an item from workqueue takes.", ["name"], new HistogramConfiguration { Buckets = Buckets }).WithLabels(name),
            factory.CreateCounter("workqueue_retries_total", "Total number of retries handled by workqueue", ["name"]).WithLabels(name));
    }

    internal void Added()
    {
        _adds.Inc();
        _depth.Inc();
    }

    internal void Taken(long addedAt)
    {
        _depth.Dec();
        _queueDuration.Observe(Stopwatch.GetElapsedTime(addedAt).TotalSeconds);
    }

    internal void Done(long takenAt) => _workDuration.Observe(Stopwatch.GetElapsedTime(takenAt).TotalSeconds);

    internal void Retried() => _retries.Inc();
}
