using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Navarch.Storage.Sqlite;

namespace Navarch.Storage.Tests.Sqlite;

/// <summary>Automatic compaction keeps one window of history, as kube-apiserver's compactor does.</summary>
[Trait("Category", "Integration")]
public sealed class PeriodicCompactorTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-compactor-");

    [Fact]
    public async Task Each_window_compacts_to_the_revision_seen_one_window_earlier()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using SqliteStore store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(_dir.FullName, "s.db"), Time = time });
        await using var compactor = new PeriodicCompactor(store, TimeSpan.FromMinutes(5), time, NullLogger.Instance);
        compactor.Start();

        KeyValue first = await store.CreateAsync("/c/a", "1"u8.ToArray());
        await store.UpdateAsync("/c/a", "2"u8.ToArray(), 0);
        KeyValue third = await store.UpdateAsync("/c/a", "3"u8.ToArray(), 0);

        // The first tick only notes the current revision; a later tick compacts to it. Nothing is written meanwhile,
        // so whichever ticks run, the compaction lands exactly on the third write.
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(0, compactor.LastCompacted);
        await Eventually(
            () =>
            {
                if (compactor.LastCompacted != 0)
                {
                    return true;
                }

                time.Advance(TimeSpan.FromMinutes(5));
                return false;
            },
            "a tick compacts",
            interval: TimeSpan.FromMilliseconds(20));

        Assert.Equal(third.ModRevision, compactor.LastCompacted);
        Assert.Equal(third.ModRevision, await store.GetCompactedRevisionAsync());
        Assert.Equal(StorageErrorCode.Compacted, (await Assert.ThrowsAsync<StorageException>(() => store.GetAsync("/c/a", first.ModRevision))).Code);
        Assert.Equal("3", System.Text.Encoding.UTF8.GetString((await store.GetAsync("/c/a", third.ModRevision))!.Value));
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
