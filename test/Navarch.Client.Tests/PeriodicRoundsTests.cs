using Microsoft.Extensions.Time.Testing;

namespace Navarch.Client.Tests;

[Trait("Category", "Unit")]
public sealed class PeriodicRoundsTests
{
    [Fact]
    public async Task A_round_runs_at_start_and_each_period_and_a_failing_one_does_not_end_the_loop()
    {
        var time = new FakeTimeProvider();
        int rounds = 0;
        var failures = new List<string>();
        PeriodicRounds periodic = await PeriodicRounds.StartAsync(
            TimeSpan.FromSeconds(10),
            _ =>
            {
                Interlocked.Increment(ref rounds);
                return rounds == 2 ? throw new InvalidOperationException("the store is away") : Task.CompletedTask;
            },
            e => failures.Add(e.Message),
            time,
            CancellationToken.None);
        Assert.Equal(1, rounds);

        // Nothing before the period has passed; then a round a period (the second fails, and the loop goes on).
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(1, rounds);
        await Eventually(
            () =>
            {
                time.Advance(TimeSpan.FromSeconds(1));
                return Volatile.Read(ref rounds) >= 4;
            },
            "rounds go on after a failing one");

        Assert.Equal(["the store is away"], failures);
        await periodic.DisposeAsync();
        int stopped = rounds;
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(stopped, rounds);
    }
}
