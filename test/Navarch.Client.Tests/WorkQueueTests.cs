using Microsoft.Extensions.Time.Testing;
using Navarch.Client.Queue;

namespace Navarch.Client.Tests;

[Trait("Category", "Unit")]
public sealed class WorkQueueTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task An_item_added_many_times_while_waiting_is_processed_once()
    {
        using var queue = new WorkQueue<string>(new FakeTimeProvider());
        queue.Add("default/a");
        queue.Add("default/a");
        queue.Add("default/b");
        queue.Add("default/a");
        Assert.Equal(2, queue.Count);
        Assert.Equal("default/a", (await queue.GetAsync()).Item);
        Assert.Equal("default/b", (await queue.GetAsync()).Item);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task An_item_added_while_processing_waits_for_done_and_is_never_handed_out_twice()
    {
        using var queue = new WorkQueue<string>(new FakeTimeProvider());
        queue.Add("k");
        (string? item, _) = await queue.GetAsync();
        queue.Add("k");
        Assert.Equal(0, queue.Count);
        Task<(string? Item, bool ShutDown)> second = queue.GetAsync();

        // The marker: another key added now is what the waiting worker gets, so "k" was held back while processed.
        queue.Add("other");
        Assert.Equal("other", (await second.WaitAsync(Short)).Item);
        Assert.Equal(0, queue.Count);
        queue.Done(item!);
        Assert.Equal("k", (await queue.GetAsync().WaitAsync(Short)).Item);
    }

    [Fact]
    public async Task Many_workers_never_process_one_key_at_the_same_time()
    {
        using var queue = new WorkQueue<int>(new FakeTimeProvider());
        var active = new int[5];
        int overlaps = 0, processed = 0;
        using var stop = new CancellationTokenSource();
        Task[] workers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                (int key, bool down) = await queue.GetAsync();
                if (down)
                {
                    return;
                }

                if (Interlocked.Increment(ref active[key]) > 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                await Task.Yield();
                Interlocked.Decrement(ref active[key]);
                Interlocked.Increment(ref processed);
                queue.Done(key);
            }
        })).ToArray();

        for (int i = 0; i < 2000; i++)
        {
            queue.Add(i % 5);
            if (i % 50 == 0)
            {
                await Task.Yield();
            }
        }

        await queue.ShutDownWithDrainAsync().WaitAsync(Short);
        await Task.WhenAll(workers).WaitAsync(Short);
        Assert.Equal(0, overlaps);
        Assert.InRange(processed, 5, 2000);
    }

    [Fact]
    public void Per_item_backoff_doubles_from_5ms_to_1000s_and_forget_resets_it()
    {
        var limiter = new ExponentialFailureRateLimiter<string>(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1000));
        Assert.Equal([5, 10, 20, 40, 80], Enumerable.Range(0, 5).Select(_ => limiter.When("a").TotalMilliseconds));
        Assert.Equal(5, limiter.NumRequeues("a"));
        Assert.Equal(5, limiter.When("b").TotalMilliseconds);
        for (int i = 0; i < 30; i++)
        {
            limiter.When("a");
        }

        Assert.Equal(TimeSpan.FromSeconds(1000), limiter.When("a"));
        limiter.Forget("a");
        Assert.Equal(0, limiter.NumRequeues("a"));
        Assert.Equal(5, limiter.When("a").TotalMilliseconds);
    }

    [Fact]
    public void The_token_bucket_allows_a_burst_then_paces_at_its_rate()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucketRateLimiter<string>(10, 100, time);
        Assert.All(Enumerable.Range(0, 100), _ => Assert.Equal(TimeSpan.Zero, bucket.When("x")));
        Assert.Equal(TimeSpan.FromMilliseconds(100), bucket.When("x"));
        Assert.Equal(TimeSpan.FromMilliseconds(200), bucket.When("x"));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.Zero, bucket.When("x"));
    }

    [Fact]
    public async Task Rate_limited_and_delayed_adds_arrive_when_the_clock_says()
    {
        var time = new FakeTimeProvider();
        using var queue = new WorkQueue<string>(time);
        queue.AddRateLimited("a");
        queue.AddRateLimited("a");
        Assert.Equal(2, queue.NumRequeues("a"));
        queue.AddAfter("later", TimeSpan.FromSeconds(30));
        Assert.Equal(0, queue.Count);
        time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal("a", (await queue.GetAsync().WaitAsync(Short)).Item);
        queue.Done("a");
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(1, queue.Count);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, queue.Count);
        Assert.Equal("a", (await queue.GetAsync()).Item);
        Assert.Equal("later", (await queue.GetAsync()).Item);
    }

    [Fact]
    public async Task Shut_down_with_drain_waits_for_items_in_flight_and_releases_workers()
    {
        using var queue = new WorkQueue<string>(new FakeTimeProvider());
        Task<(string? Item, bool ShutDown)> idle = queue.GetAsync();
        queue.Add("x");
        Assert.Equal("x", (await idle.WaitAsync(Short)).Item);
        Task drained = queue.ShutDownWithDrainAsync();
        queue.Add("ignored");

        // Only Done completes the drain, and it does so synchronously: no wait is needed to see that it has not.
        Assert.False(drained.IsCompleted, "x is still being processed");
        queue.Done("x");
        await drained.WaitAsync(Short);
        Assert.True((await queue.GetAsync().WaitAsync(Short)).ShutDown);
    }
}
