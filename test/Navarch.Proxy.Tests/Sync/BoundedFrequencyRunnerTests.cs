using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Navarch.Proxy.Sync;

namespace Navarch.Proxy.Tests.Sync;

/// <summary>The runner on a fake clock: runs at once, coalesces requests within the minimum interval, runs periodically, backs off failures.</summary>
[Trait("Category", "Unit")]
public sealed class BoundedFrequencyRunnerTests : IDisposable
{
    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(200), Max = TimeSpan.FromSeconds(30);

    // How late (in fake time, at 10 ms steps) a loaded machine may observe a run; scaled with the step by each test.
    private static readonly TimeSpan Late = TimeSpan.FromMilliseconds(200);
    private readonly FakeTimeProvider _time = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<DateTimeOffset> _runs = [];
    private readonly List<Exception> _errors = [];
    private int _failuresLeft;

    private BoundedFrequencyRunner Start()
    {
        var runner = new BoundedFrequencyRunner(
            _ =>
            {
                lock (_runs)
                {
                    _runs.Add(_time.GetUtcNow());
                }

                return Interlocked.Decrement(ref _failuresLeft) >= 0 ? throw new InvalidOperationException("boom") : Task.CompletedTask;
            },
            Min,
            Max,
            _time,
            e =>
            {
                lock (_errors)
                {
                    _errors.Add(e);
                }
            });
        _ = Task.Run(() => runner.LoopAsync(_stop.Token));
        return runner;
    }

    private int Runs
    {
        get
        {
            lock (_runs)
            {
                return _runs.Count;
            }
        }
    }

    /// <summary>
    /// Moves the fake clock by <paramref name="step"/> until <paramref name="runs"/> runs happened; returns the fake time
    /// that took. A loaded machine may run the runner's continuation a few steps after its timer fired, so the time
    /// returned can be late by some steps, never early: the assertions bound it tightly below and loosely above.
    /// </summary>
    private async Task<TimeSpan> AdvanceUntilAsync(int runs, TimeSpan step)
    {
        DateTimeOffset start = _time.GetUtcNow();
        var real = Stopwatch.StartNew();
        while (Runs < runs)
        {
            Assert.True(real.Elapsed < TimeSpan.FromSeconds(10), $"only {Runs} runs");
            // Let the loop reach its next wait before the clock moves.
            await Task.Delay(2);
            _time.Advance(step);
        }

        return _time.GetUtcNow() - start;
    }

    [Fact]
    public async Task Runs_at_once_then_coalesces_requests_within_the_minimum_interval_and_runs_periodically()
    {
        using BoundedFrequencyRunner runner = Start();
        await AdvanceUntilAsync(1, TimeSpan.Zero);

        runner.Run();
        runner.Run();
        runner.Run();
        TimeSpan second = await AdvanceUntilAsync(2, TimeSpan.FromMilliseconds(10));
        Assert.InRange(second, Min - TimeSpan.FromMilliseconds(10), Min + Late);

        // The three requests were one run: the next comes only with the period.
        TimeSpan third = await AdvanceUntilAsync(3, TimeSpan.FromMilliseconds(500));
        Assert.InRange(third, Max - TimeSpan.FromSeconds(1), Max + (Late * 50));
        Assert.Equal(3, Runs);
    }

    [Fact]
    public async Task A_failure_is_reported_and_retried_with_a_doubling_back_off_and_the_loop_goes_on()
    {
        _failuresLeft = 3;
        using BoundedFrequencyRunner runner = Start();
        await AdvanceUntilAsync(1, TimeSpan.Zero);
        TimeSpan[] gaps = [await AdvanceUntilAsync(2, TimeSpan.FromMilliseconds(50)), await AdvanceUntilAsync(3, TimeSpan.FromMilliseconds(50)), await AdvanceUntilAsync(4, TimeSpan.FromMilliseconds(50))];
        Assert.InRange(gaps[0], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1) + (Late * 5));
        Assert.InRange(gaps[1], TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2) + (Late * 5));
        Assert.InRange(gaps[2], TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(4) + (Late * 5));
        Assert.Equal(3, _errors.Count);

        // Healthy again: a request is served after the minimum interval, not a back-off.
        runner.Run();
        Assert.InRange(await AdvanceUntilAsync(5, TimeSpan.FromMilliseconds(10)), TimeSpan.Zero, Min + Late);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
