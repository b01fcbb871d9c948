using Microsoft.Data.Sqlite;
using Navarch.Storage.Sqlite;
using Navarch.Storage.Tests.Conformance;

namespace Navarch.Storage.Tests.Sqlite;

/// <summary>
/// The store contract on a SQLite store whose revision was bumped as after a restore (<see cref="SqliteStore.BumpRevisionAsync"/>):
/// every conformance test runs above a gap of a billion revisions with the rows of before the restore below it; and
/// what the bump itself promises — older revisions compacted for reads and watches, kept across a reopen, and a
/// compaction that crosses the gap without walking it.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SqliteStoreBumpedRevisionConformanceTests : StoreConformanceTests, IDisposable
{
    private const long Bump = 1_000_000_000;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-sqlite-bumped-");

    private string DatabasePath => Path.Combine(_dir.FullName, "state.db");

    protected override async Task<IStore> OpenStoreAsync(int watchBufferSize)
    {
        SqliteStore store = await Open(watchBufferSize);
        if (await store.GetCurrentRevisionAsync() < Bump)
        {
            // What a restore leaves: objects from the snapshot below the bump, the revision and the compacted one above it.
            await store.CreateAsync("/before-the-restore", [1]);
            await store.UpdateAsync("/before-the-restore", [2], 0);
            long before = await store.GetCurrentRevisionAsync();
            Assert.Equal(Bump, await store.BumpRevisionAsync(Bump));
            Assert.Equal(before + Bump, await store.GetCurrentRevisionAsync());
            Assert.Equal(before + Bump, await store.GetCompactedRevisionAsync());
        }

        return store;
    }

    private Task<SqliteStore> Open(int watchBufferSize = 1000) => SqliteStore.OpenAsync(new SqliteStoreOptions
    {
        Path = DatabasePath,
        WatchBufferSize = watchBufferSize,
        LeaseSweepInterval = TimeSpan.FromMilliseconds(200),
    });

    [Fact]
    public async Task Revisions_from_before_the_bump_are_compacted_and_the_objects_keep_theirs()
    {
        long bumped = await Store.GetCurrentRevisionAsync();
        KeyValue restored = (await Store.GetAsync("/before-the-restore"))!;
        Assert.Equal([2], restored.Value);
        Assert.Equal(2, restored.Version);
        Assert.True(restored.ModRevision < Bump, $"the restored object keeps its revision {restored.ModRevision}");

        // A client's resourceVersion from the lost timeline: anything between the snapshot's revision and the bump.
        foreach (long seen in new[] { restored.ModRevision, restored.ModRevision + 5, bumped - 2 })
        {
            StorageException get = await Assert.ThrowsAsync<StorageException>(() => Store.GetAsync("/before-the-restore", seen));
            Assert.Equal(StorageErrorCode.Compacted, get.Code);
            StorageException list = await Assert.ThrowsAsync<StorageException>(() => Store.ListAsync("/", new ListOptions(Revision: seen)));
            Assert.Equal(StorageErrorCode.Compacted, list.Code);
            StorageException watch = await Assert.ThrowsAsync<StorageException>(async () =>
            {
                await foreach (WatchEvent _ in Store.WatchAsync("/", seen))
                {
                }
            });
            Assert.Equal(StorageErrorCode.Compacted, watch.Code);
        }

        // A watch from the bumped revision (what a relist returns) sees the next write, one revision above it, and
        // a write conditional on the restored object's own revision still applies.
        await using IAsyncEnumerator<WatchEvent> fresh = Store.WatchAsync("/", bumped).GetAsyncEnumerator();
        KeyValue next = await Store.UpdateAsync("/before-the-restore", [3], restored.ModRevision);
        Assert.Equal(bumped + 1, next.ModRevision);
        Assert.Equal(next.ModRevision, (await TakeAsync(fresh, 1))[0].Revision);
    }

    [Fact]
    public async Task The_bump_survives_a_reopen_and_a_second_one_adds_to_the_offset()
    {
        long bumped = await Store.GetCurrentRevisionAsync();
        await Store.DisposeAsync();

        await using SqliteStore reopened = await Open();
        Assert.Equal(bumped, await reopened.GetCurrentRevisionAsync());
        Assert.Equal(bumped, await reopened.GetCompactedRevisionAsync());
        Assert.Equal(2 * Bump, await reopened.BumpRevisionAsync(Bump));
        Assert.Equal(bumped + Bump + 1, (await reopened.CreateAsync("/after-two", [1])).ModRevision);
        Assert.Equal(StorageErrorCode.Compacted, (await Assert.ThrowsAsync<StorageException>(() => reopened.GetAsync("/after-two", bumped))).Code);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => reopened.BumpRevisionAsync(0));
    }

    [Fact]
    public async Task Compaction_across_the_gap_removes_the_old_history_in_a_few_steps()
    {
        KeyValue latest = await Store.UpdateAsync("/before-the-restore", [3], 0);

        // Stepping window by window through a billion empty revisions would take hundreds of thousands of transactions.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Store.CompactAsync(latest.ModRevision, deadline.Token);

        Assert.Equal(latest.ModRevision, await Store.GetCompactedRevisionAsync());
        Assert.Equal([3], (await Store.GetAsync("/before-the-restore"))!.Value);
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using SqliteCommand rows = connection.CreateCommand();
        rows.CommandText = "SELECT COUNT(*) FROM kv WHERE key = '/before-the-restore'";
        Assert.Equal(1L, (long)(await rows.ExecuteScalarAsync())!);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Delete(recursive: true);
    }
}
