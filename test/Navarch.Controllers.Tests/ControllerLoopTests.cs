using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Client.Queue;

namespace Navarch.Controllers.Tests;

/// <summary>ControllerLoop with a poison key: whatever its sync throws, the key is retried with back-off and every other key is still synced.</summary>
[Trait("Category", "Unit")]
public sealed class ControllerLoopTests
{
    [Fact]
    public async Task A_key_whose_sync_throws_is_retried_and_the_workers_go_on()
    {
        var queue = new WorkQueue<string>();
        var synced = new ConcurrentQueue<string>();
        int poisonAttempts = 0;
        using var cts = new CancellationTokenSource();
        Task loop = ControllerLoop.RunAsync("test", queue, workers: 1, (key, _) =>
        {
            if (key == "ns/poison")
            {
                Interlocked.Increment(ref poisonAttempts);
                throw new OverflowException("Value was either too large or too small for a Decimal.");
            }

            synced.Enqueue(key);
            return Task.CompletedTask;
        }, NullLogger.Instance, cts.Token);

        queue.Add("ns/poison");
        queue.Add("ns/a");
        queue.Add("ns/b");
        for (int i = 0; i < 250 && (synced.Count < 2 || Volatile.Read(ref poisonAttempts) < 2); i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal(["ns/a", "ns/b"], synced.ToArray());
        Assert.True(Volatile.Read(ref poisonAttempts) >= 2, "the poison key was retried");
        queue.Add("ns/c");
        for (int i = 0; i < 250 && synced.Count < 3; i++)
        {
            await Task.Delay(20);
        }

        Assert.Contains("ns/c", synced);
        await cts.CancelAsync();
        await loop;
    }
}
