using Microsoft.Extensions.Time.Testing;
using Navarch.Scheduler.Queue;
using static Navarch.Scheduler.Tests.Fixtures;

namespace Navarch.Scheduler.Tests;

[Trait("Category", "Unit")]
public sealed class SchedulingQueueTests
{
    [Fact]
    public async Task PopsByPriorityThenArrival()
    {
        using var queue = new SchedulingQueue(new FakeTimeProvider());
        queue.AddOrUpdate(Pod("low1"), 0);
        queue.AddOrUpdate(Pod("high"), 100);
        queue.AddOrUpdate(Pod("low2"), 0);
        var order = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            order.Add((await queue.PopAsync(CancellationToken.None))!.Pod.Metadata.Name);
        }

        Assert.Equal(["high", "low1", "low2"], order);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 8)]
    [InlineData(5, 10)]
    [InlineData(9, 10)]
    public void BackoffDoublesToTenSeconds(int attempts, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), SchedulingQueue.BackoffFor(attempts));

    [Fact]
    public async Task ErrorsBackOffThenReturn()
    {
        var time = new FakeTimeProvider();
        using var queue = new SchedulingQueue(time);
        queue.AddOrUpdate(Pod("p"), 0);
        QueuedPod p = (await queue.PopAsync(CancellationToken.None))!;
        queue.Failed(p, unschedulable: false, queue.Cycle);
        Assert.Equal(1, queue.BackoffCount);
        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(0, queue.ActiveCount);
        time.Advance(TimeSpan.FromMilliseconds(600));
        Assert.Equal(1, queue.ActiveCount);
    }

    [Fact]
    public async Task UnschedulablePodsWaitForAnEventOrTheFlush()
    {
        var time = new FakeTimeProvider();
        using var queue = new SchedulingQueue(time);
        queue.AddOrUpdate(Pod("a"), 0);
        queue.AddOrUpdate(Pod("b"), 0);
        QueuedPod a = (await queue.PopAsync(CancellationToken.None))!;
        queue.Failed(a, unschedulable: true, queue.Cycle);
        QueuedPod b = (await queue.PopAsync(CancellationToken.None))!;
        queue.Failed(b, unschedulable: true, queue.Cycle);
        Assert.Equal(2, queue.ParkedCount);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(2, queue.ParkedCount);

        // A cluster event moves them back; their 1 s back-off is over, so straight to activeQ.
        queue.MoveAllToActiveOrBackoff();
        Assert.Equal(2, queue.ActiveCount);

        a = (await queue.PopAsync(CancellationToken.None))!;
        queue.Failed(a, unschedulable: true, queue.Cycle);
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(1, queue.ParkedCount);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, queue.ParkedCount);
    }

    [Fact]
    public async Task AnEventDuringTheAttemptSendsTheFailureToBackoff()
    {
        var time = new FakeTimeProvider();
        using var queue = new SchedulingQueue(time);
        queue.AddOrUpdate(Pod("a"), 0);
        QueuedPod a = (await queue.PopAsync(CancellationToken.None))!;
        long cycle = queue.Cycle;
        queue.MoveAllToActiveOrBackoff();
        queue.Failed(a, unschedulable: true, cycle);
        Assert.Equal(0, queue.ParkedCount);
        Assert.Equal(1, queue.BackoffCount);
    }

    [Fact]
    public async Task DeletedPodsAreNotPopped()
    {
        using var queue = new SchedulingQueue(new FakeTimeProvider());
        queue.AddOrUpdate(Pod("a"), 0);
        queue.AddOrUpdate(Pod("b"), 0);
        queue.Delete("default/a");
        Assert.Equal("b", (await queue.PopAsync(CancellationToken.None))!.Pod.Metadata.Name);
    }

    [Fact]
    public async Task PopWaitsForAPod()
    {
        using var queue = new SchedulingQueue(new FakeTimeProvider());
        Task<QueuedPod?> pop = queue.PopAsync(CancellationToken.None);
        Assert.False(pop.IsCompleted);
        queue.AddOrUpdate(Pod("a"), 0);
        Assert.Equal("a", (await pop.WaitAsync(TimeSpan.FromSeconds(5)))!.Pod.Metadata.Name);
    }

    [Fact]
    public async Task ParkedPodsRetryOnSpecChangesOnly()
    {
        var time = new FakeTimeProvider();
        using var queue = new SchedulingQueue(time);
        k8s.Models.V1Pod pod = Pod("a", "1");
        queue.AddOrUpdate(pod, 0);
        QueuedPod a = (await queue.PopAsync(CancellationToken.None))!;
        queue.Failed(a, unschedulable: true, queue.Cycle);
        time.Advance(TimeSpan.FromSeconds(2));

        k8s.Models.V1Pod statusOnly = Pod("a", "1");
        statusOnly.Spec = pod.Spec;
        statusOnly.Status = new k8s.Models.V1PodStatus { Conditions = [new k8s.Models.V1PodCondition { Type = "PodScheduled", Status = "False" }] };
        queue.AddOrUpdate(statusOnly, 0);
        Assert.Equal(1, queue.ParkedCount);

        queue.AddOrUpdate(Pod("a", "500m"), 0);
        Assert.Equal(0, queue.ParkedCount);
        Assert.Equal(1, queue.ActiveCount);
    }
}
