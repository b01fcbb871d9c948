using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Navarch.Storage.Sqlite;

namespace Navarch.Storage.Tests.Sqlite;

/// <summary>Automatic compaction keeps one window of history, as kube-apiserver's compactor does, across restarts too.</summary>
[Trait("Category", "Integration")]
public sealed class PeriodicCompactorTests : IDisposable
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-compactor-");

    [Fact]
    public async Task Each_window_compacts_to_the_revision_seen_one_window_earlier()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using SqliteStore store = await OpenAsync(time);
        KeyValue first = await store.CreateAsync("/c/a", "1"u8.ToArray());
        await store.UpdateAsync("/c/a", "2"u8.ToArray(), 0);
        KeyValue third = await store.UpdateAsync("/c/a", "3"u8.ToArray(), 0);

        await using var compactor = new PeriodicCompactor(store, Window, time, NullLogger.Instance);
        compactor.Start();
        await NotedAsync(store);
        KeyValue fourth = await store.UpdateAsync("/c/a", "4"u8.ToArray(), 0);

        // Within the window nothing is compacted; at its end, exactly what was current when it began.
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(0, await store.GetCompactedRevisionAsync());
        await AdvanceUntilAsync(time, () => compactor.LastCompacted != 0, "the window's end compacts");

        Assert.Equal(third.ModRevision, compactor.LastCompacted);
        Assert.Equal(third.ModRevision, await store.GetCompactedRevisionAsync());
        Assert.Equal(StorageErrorCode.Compacted, (await Assert.ThrowsAsync<StorageException>(() => store.GetAsync("/c/a", first.ModRevision))).Code);
        Assert.Equal("3", System.Text.Encoding.UTF8.GetString((await store.GetAsync("/c/a", third.ModRevision))!.Value));
        Assert.Equal("4", System.Text.Encoding.UTF8.GetString((await store.GetAsync("/c/a", fourth.ModRevision))!.Value));
    }

    [Fact]
    public async Task A_server_restarted_more_often_than_the_window_still_compacts()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using SqliteStore store = await OpenAsync(time);
        KeyValue before = await store.CreateAsync("/c/a", "0"u8.ToArray());
        await store.UpdateAsync("/c/a", "1"u8.ToArray(), 0);
        long noted = await store.GetCurrentRevisionAsync();

        // Runs of three minutes: the first run's note is kept by the next, which compacts to it before its own
        // window could end — the old compactor, waiting a window to note and another to compact, never would.
        await using (var first = new PeriodicCompactor(store, Window, time, NullLogger.Instance))
        {
            first.Start();
            await NotedAsync(store);
            await store.UpdateAsync("/c/a", "2"u8.ToArray(), 0);
            time.Advance(TimeSpan.FromMinutes(3));
        }

        DateTimeOffset restartedAt = time.GetUtcNow();
        await using var second = new PeriodicCompactor(store, Window, time, NullLogger.Instance);
        second.Start();
        await AdvanceUntilAsync(time, () => second.LastCompacted != 0, "the restarted server compacts at the first run's window end");
        Assert.True(time.GetUtcNow() - restartedAt < TimeSpan.FromMinutes(3), $"compacted {time.GetUtcNow() - restartedAt} after the restart");
        Assert.Equal(noted, await store.GetCompactedRevisionAsync());
        Assert.Equal(StorageErrorCode.Compacted, (await Assert.ThrowsAsync<StorageException>(() => store.GetAsync("/c/a", before.ModRevision))).Code);
    }

    [Fact]
    public async Task A_server_down_longer_than_the_window_compacts_at_start()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using SqliteStore store = await OpenAsync(time);
        await store.CreateAsync("/c/a", "1"u8.ToArray());
        long noted = await store.GetCurrentRevisionAsync();
        await using (var compactor = new PeriodicCompactor(store, Window, time, NullLogger.Instance))
        {
            compactor.Start();
            await NotedAsync(store);
        }

        await store.UpdateAsync("/c/a", "2"u8.ToArray(), 0);
        time.Advance(TimeSpan.FromHours(1));
        await using var restarted = new PeriodicCompactor(store, Window, time, NullLogger.Instance);
        restarted.Start();
        await Eventually(() => restarted.LastCompacted != 0, "the overdue compaction runs at start");
        Assert.Equal(noted, restarted.LastCompacted);
    }

    /// <summary>Moves the fake clock in small steps until <paramref name="done"/>, so a timer armed late still fires.</summary>
    private static Task AdvanceUntilAsync(FakeTimeProvider time, Func<bool> done, string what) =>
        Eventually(
            () =>
            {
                if (done())
                {
                    return true;
                }

                time.Advance(TimeSpan.FromSeconds(10));
                return false;
            },
            what,
            interval: TimeSpan.FromMilliseconds(20));

    private Task<SqliteStore> OpenAsync(FakeTimeProvider time) =>
        SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(_dir.FullName, "s.db"), Time = time });

    private static Task NotedAsync(IStore store) =>
        Eventually(async () => await store.GetAsync(PeriodicCompactor.CheckpointKey) is not null, "the compactor notes the current revision");

    public void Dispose() => _dir.Delete(recursive: true);
}
