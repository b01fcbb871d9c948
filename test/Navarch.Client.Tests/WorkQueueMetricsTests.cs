using System.Globalization;
using Navarch.Client.Queue;
using Prometheus;

namespace Navarch.Client.Tests;

/// <summary>client-go's workqueue metrics counted as client-go counts them: adds when an item becomes dirty, depth, retries, the two durations.</summary>
[Trait("Category", "Unit")]
public sealed class WorkQueueMetricsTests
{
    private static async Task<double?> SampleAsync(CollectorRegistry registry, string series)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        string text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        return text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal)) is { } line
            ? double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture)
            : null;
    }

    [Fact]
    public async Task Adds_depth_retries_and_durations_follow_the_queue()
    {
        CollectorRegistry registry = Metrics.NewCustomRegistry();
        using var queue = new WorkQueue<string>(metrics: WorkQueueMetrics.For(Metrics.WithCustomRegistry(registry), "test"));
        queue.Add("a");
        queue.Add("a");
        queue.Add("b");
        Assert.Equal(2, await SampleAsync(registry, "workqueue_adds_total{name=\"test\"}"));
        Assert.Equal(2, await SampleAsync(registry, "workqueue_depth{name=\"test\"}"));

        (string? item, _) = await queue.GetAsync();
        Assert.Equal("a", item);
        Assert.Equal(1, await SampleAsync(registry, "workqueue_depth{name=\"test\"}"));
        Assert.Equal(1, await SampleAsync(registry, "workqueue_queue_duration_seconds_count{name=\"test\"}"));

        // Added again while processing: counted now, queued at Done.
        queue.Add("a");
        Assert.Equal(3, await SampleAsync(registry, "workqueue_adds_total{name=\"test\"}"));
        queue.AddRateLimited("a");
        Assert.Equal(1, await SampleAsync(registry, "workqueue_retries_total{name=\"test\"}"));
        queue.Done("a");
        Assert.Equal(1, await SampleAsync(registry, "workqueue_work_duration_seconds_count{name=\"test\"}"));
        Assert.Equal(2, await SampleAsync(registry, "workqueue_depth{name=\"test\"}"));
        Assert.Equal(2, queue.Count);
    }
}
