using System.Collections.Concurrent;
using System.Text;
using Navarch.Storage.Sqlite;

namespace Navarch.Storage.Tests.Sqlite;

/// <summary>Online snapshots of the SQLite store (from the open store and from another connection on its file) and their restore.</summary>
[Trait("Category", "Integration")]
public sealed class SqliteSnapshotTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-sqlite-snap-");

    private string DatabasePath => Path.Combine(_dir.FullName, "db", "state.db");

    private Task<SqliteStore> OpenAsync(string? path = null) => SqliteStore.OpenAsync(new SqliteStoreOptions { Path = path ?? DatabasePath });

    [Fact]
    public async Task A_snapshot_taken_while_a_writer_commits_is_one_revision_of_the_store()
    {
        await using SqliteStore store = await OpenAsync();
        byte[] value = new byte[2048];
        for (int i = 0; i < 1000; i++)
        {
            await store.CreateAsync($"/registry/seed/{i:D5}", value);
        }

        // A writer keeps committing while both kinds of snapshot are taken; it records every acknowledged revision.
        var acknowledged = new ConcurrentDictionary<string, long>();
        using var stop = new CancellationTokenSource();
        Task writer = Task.Run(async () =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                KeyValue created = await store.CreateAsync($"/registry/live/{i:D6}", Encoding.UTF8.GetBytes($"v{i}"));
                acknowledged[created.Key] = created.ModRevision;
            }
        });
        await Eventually(() => !acknowledged.IsEmpty, "the writer commits");

        string fromStore = Path.Combine(_dir.FullName, "from-store");
        string fromFile = Path.Combine(_dir.FullName, "from-file");
        await store.SaveSnapshotAsync(fromStore);
        await SqliteSnapshot.SaveAsync(DatabasePath, fromFile);
        int beforeStop = acknowledged.Count;
        await Eventually(() => acknowledged.Count > beforeStop, "the writer still commits after the snapshots");
        await stop.CancelAsync();
        await writer;

        foreach (string snapshot in new[] { fromStore, fromFile })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(snapshot));
            Assert.False(File.Exists(snapshot + ".part"));
            await using SqliteStore copy = await OpenAsync(Copy(snapshot));
            long revision = await copy.GetCurrentRevisionAsync();
            Assert.Equal(1000, await copy.CountAsync("/registry/seed/"));
            // Exactly the writes acknowledged at or below the snapshot's revision are in it.
            var expected = acknowledged.Where(a => a.Value <= revision).Select(a => a.Key).Order(StringComparer.Ordinal).ToList();
            ListResult live = await copy.ListAsync("/registry/live/", new ListOptions());
            Assert.Equal(expected, live.Items.Select(i => i.Key).ToList());
            Assert.Equal(revision, 1000 + expected.Count);
        }
    }

    [Fact]
    public async Task A_restored_snapshot_gives_back_every_key_at_its_revision()
    {
        string snapshot = Path.Combine(_dir.FullName, "snap");
        List<KeyValue> atSnapshot;
        long revisionAtSnapshot;
        await using (SqliteStore store = await OpenAsync())
        {
            for (int i = 0; i < 20; i++)
            {
                await store.CreateAsync($"/registry/configmaps/default/cm{i:D2}", Encoding.UTF8.GetBytes($"v{i}"));
            }

            KeyValue updated = (await store.GetAsync("/registry/configmaps/default/cm03"))!;
            await store.UpdateAsync(updated.Key, "changed"u8.ToArray(), updated.ModRevision);
            atSnapshot = [.. (await store.ListAsync("/registry/", new ListOptions())).Items];
            revisionAtSnapshot = await store.GetCurrentRevisionAsync();
            await store.SaveSnapshotAsync(snapshot);

            await store.DeleteAsync("/registry/configmaps/default/cm00");
            KeyValue later = (await store.GetAsync("/registry/configmaps/default/cm05"))!;
            await store.UpdateAsync(later.Key, "later"u8.ToArray(), later.ModRevision);
            await store.CreateAsync("/registry/configmaps/default/new", "n"u8.ToArray());
        }

        string? kept = await SqliteSnapshot.RestoreAsync(snapshot, DatabasePath, TimeProvider.System);

        Assert.NotNull(kept);
        Assert.True(File.Exists(kept));
        Assert.False(File.Exists(DatabasePath + "-wal"));
        await using (SqliteStore restored = await OpenAsync())
        {
            Assert.Equal(revisionAtSnapshot, await restored.GetCurrentRevisionAsync());
            List<KeyValue> now = [.. (await restored.ListAsync("/registry/", new ListOptions())).Items];
            Assert.Equal(atSnapshot.Select(Describe), now.Select(Describe));
            // The restored store goes on from the snapshot's revision.
            KeyValue next = await restored.CreateAsync("/registry/configmaps/default/after", "a"u8.ToArray());
            Assert.Equal(revisionAtSnapshot + 1, next.ModRevision);
        }

        // The state kept aside is the whole old one, its WAL folded in.
        await using SqliteStore old = await OpenAsync(Copy(kept!));
        Assert.NotNull(await old.GetAsync("/registry/configmaps/default/new"));
    }

    [Fact]
    public async Task Restoring_something_that_is_not_a_SQLite_snapshot_says_so_and_changes_nothing()
    {
        string notSnapshot = Path.Combine(_dir.FullName, "etcd-snapshot");
        await File.WriteAllBytesAsync(notSnapshot, new byte[4096]);
        await using (SqliteStore store = await OpenAsync())
        {
            await store.CreateAsync("/registry/a", "a"u8.ToArray());
        }

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => SqliteSnapshot.RestoreAsync(notSnapshot, DatabasePath, TimeProvider.System));
        Assert.Equal($"{notSnapshot} is not a SQLite snapshot", e.Message);
        await using SqliteStore same = await OpenAsync();
        Assert.NotNull(await same.GetAsync("/registry/a"));
    }

    [Fact]
    public async Task A_snapshot_never_overwrites_an_existing_file()
    {
        await using SqliteStore store = await OpenAsync();
        string path = Path.Combine(_dir.FullName, "taken");
        await File.WriteAllTextAsync(path, "keep");
        await Assert.ThrowsAsync<IOException>(() => store.SaveSnapshotAsync(path));
        Assert.Equal("keep", await File.ReadAllTextAsync(path));
    }

    private static string Describe(KeyValue kv) => $"{kv.Key} {kv.CreateRevision} {kv.ModRevision} {kv.Version} {Convert.ToBase64String(kv.Value)}";

    /// <summary>Opening a store writes to its file; tests open copies so the snapshot itself stays as taken.</summary>
    private string Copy(string snapshot)
    {
        string copy = Path.Combine(_dir.FullName, "open-" + Guid.NewGuid().ToString("N"), "state.db");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(snapshot, copy);
        return copy;
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
