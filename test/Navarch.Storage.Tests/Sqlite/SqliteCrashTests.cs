using System.Diagnostics;
using System.Text;
using Microsoft.Data.Sqlite;
using Navarch.Storage.Sqlite;
using Xunit.Abstractions;

namespace Navarch.Storage.Tests.Sqlite;

/// <summary>An acknowledged write survives SIGKILL of the process that made it.</summary>
[Trait("Category", "Integration")]
public sealed class SqliteCrashTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-crash-");

    [Fact]
    public async Task Every_acknowledged_write_survives_sigkill_and_the_database_is_intact()
    {
        string db = Path.Combine(_dir.FullName, "state.db");
        // test/Navarch.Storage.Tests/bin/<Configuration>/net10.0 → test/Navarch.Storage.CrashWriter/bin/<Configuration>/net10.0
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        string writer = Path.Combine(here.Parent!.Parent!.Parent!.Parent!.FullName, "Navarch.Storage.CrashWriter", "bin", here.Parent.Name, "net10.0", "Navarch.Storage.CrashWriter.dll");
        Assert.True(File.Exists(writer), $"crash writer not built at {writer}");

        var acknowledged = new List<string>();
        using (var child = new Process())
        {
            child.StartInfo = new ProcessStartInfo("dotnet", [writer, db, "16"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            child.Start();
            Task<string?> ready = child.StandardError.ReadLineAsync();
            Assert.Equal("ready", await ready.WaitAsync(TimeSpan.FromSeconds(60)));

            // Read acknowledgements until a good number has gone by, then kill without warning.
            var clock = Stopwatch.StartNew();
            while (acknowledged.Count < 3000 && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                string? line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
                if (line is null)
                {
                    break;
                }

                acknowledged.Add(line);
            }

            child.Kill();
            // Whatever was printed before the kill was acknowledged too.
            string rest = await child.StandardOutput.ReadToEndAsync();
            acknowledged.AddRange(rest.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            await child.WaitForExitAsync();
            Assert.Equal(137, child.ExitCode);
        }

        output.WriteLine($"{acknowledged.Count} acknowledged writes before SIGKILL");
        Assert.True(acknowledged.Count >= 3000, $"only {acknowledged.Count} writes were acknowledged");

        await using (SqliteStore store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = db }))
        {
            foreach (string key in acknowledged)
            {
                KeyValue? kv = await store.GetAsync(key);
                Assert.True(kv is not null, $"acknowledged key {key} is missing after the crash");
                string[] parts = key.Split('/');
                Assert.Equal($"value-{parts[2]}-{parts[3]}", Encoding.UTF8.GetString(kv.Value));
            }

            Assert.True(await store.CountAsync("/crash/") >= acknowledged.Count);
        }

        await using var check = new SqliteConnection($"Data Source={db};Pooling=False");
        await check.OpenAsync();
        await using SqliteCommand integrity = check.CreateCommand();
        integrity.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", (string?)await integrity.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Revisions_leases_and_compaction_survive_a_restart()
    {
        string db = Path.Combine(_dir.FullName, "restart.db");
        long revision, compacted;
        await using (SqliteStore store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = db }))
        {
            KeyValue a = await store.CreateAsync("/r/a", "1"u8.ToArray());
            await store.UpdateAsync("/r/a", "2"u8.ToArray(), a.ModRevision);
            await store.CreateAsync("/r/leased", "x"u8.ToArray(), new WriteOptions(TimeSpan.FromHours(1)));
            await store.CompactAsync(a.ModRevision + 1);
            revision = await store.GetCurrentRevisionAsync();
            compacted = await store.GetCompactedRevisionAsync();
        }

        await using (SqliteStore store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = db }))
        {
            Assert.Equal(revision, await store.GetCurrentRevisionAsync());
            Assert.Equal(compacted, await store.GetCompactedRevisionAsync());
            Assert.NotEqual(0, (await store.GetAsync("/r/leased"))!.Lease);
            await Assert.ThrowsAsync<StorageException>(() => store.GetAsync("/r/a", compacted - 1));
            KeyValue next = await store.CreateAsync("/r/b", "3"u8.ToArray());
            Assert.Equal(revision + 1, next.ModRevision);
        }
    }

    [Fact]
    public async Task The_wal_stays_bounded_under_sustained_load()
    {
        string db = Path.Combine(_dir.FullName, "wal.db");
        byte[] value = new byte[4096];
        await using SqliteStore store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = db });
        long maxWal = 0;
        // ~160 MiB of writes in total, far more than the WAL may hold.
        for (int round = 0; round < 40; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => store.CreateAsync($"/wal/{round}/{i}", value)));
            maxWal = Math.Max(maxWal, new FileInfo(db + "-wal").Length);
        }

        output.WriteLine($"largest WAL seen: {maxWal / 1024 / 1024.0:0.0} MiB over {40 * 1000} writes of 4 KiB");
        Assert.True(maxWal < 96L * 1024 * 1024, $"WAL grew to {maxWal} bytes");
    }

    [Fact]
    public async Task A_failed_write_in_a_shared_batch_fails_alone_and_takes_no_revision()
    {
        await using SqliteStore store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(_dir.FullName, "batch.db") });
        await store.CreateAsync("/b/taken", "x"u8.ToArray());
        long before = await store.GetCurrentRevisionAsync();
        // Queue many writes at once so they share transactions; every other one collides.
        Task<KeyValue>[] writes = Enumerable.Range(0, 200)
            .Select(i => store.CreateAsync(i % 2 == 0 ? $"/b/new/{i}" : "/b/taken", "v"u8.ToArray()))
            .ToArray();
        await Task.WhenAll(writes.Select(t => t.ContinueWith(_ => { })));
        Assert.All(writes.Where((_, i) => i % 2 == 1), t => Assert.Equal(StorageErrorCode.KeyExists, Assert.IsType<StorageException>(t.Exception!.InnerException).Code));
        long[] revisions = writes.Where((_, i) => i % 2 == 0).Select(t => t.Result.ModRevision).Order().ToArray();
        Assert.Equal(Enumerable.Range(1, 100).Select(i => before + i), revisions);
        Assert.Equal(before + 100, await store.GetCurrentRevisionAsync());
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
