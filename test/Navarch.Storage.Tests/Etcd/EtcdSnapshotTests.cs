using System.Text;
using Navarch.Storage.Etcd;
using Navarch.Testing;

namespace Navarch.Storage.Tests.Etcd;

/// <summary>etcd snapshots through the Maintenance API, restored with etcdctl into a new data dir a real etcd then serves.</summary>
[Trait("Category", "Integration")]
public sealed class EtcdSnapshotTests : IClassFixture<EtcdFixture>, IDisposable
{
    private readonly EtcdFixture _etcd;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-etcd-snap-");

    public EtcdSnapshotTests(EtcdFixture etcd) => _etcd = etcd;

    [Fact]
    public async Task A_snapshot_restored_into_a_new_data_dir_serves_every_key_at_its_revision()
    {
        string prefix = $"/registry/snap-{Guid.NewGuid():N}/";
        string fromStore = Path.Combine(_dir.FullName, "from-store"), fromClient = Path.Combine(_dir.FullName, "from-client");
        List<KeyValue> atSnapshot;
        await using (EtcdStore store = await EtcdStore.OpenAsync(new EtcdStoreOptions { Endpoints = _etcd.Server.Endpoint }))
        {
            for (int i = 0; i < 30; i++)
            {
                await store.CreateAsync($"{prefix}k{i:D2}", Encoding.UTF8.GetBytes($"v{i}"));
            }

            KeyValue k1 = (await store.GetAsync($"{prefix}k01"))!;
            await store.UpdateAsync(k1.Key, "changed"u8.ToArray(), k1.ModRevision);
            await store.DeleteAsync($"{prefix}k02");
            atSnapshot = [.. (await store.ListAsync(prefix, new ListOptions())).Items];
            await store.SaveSnapshotAsync(fromStore);
            await EtcdSnapshot.SaveAsync(_etcd.Server.Endpoint, null, fromClient);
            await store.CreateAsync($"{prefix}after", "a"u8.ToArray());
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(fromStore));
        foreach (string snapshot in new[] { fromStore, fromClient })
        {
            string dataDir = Path.Combine(_dir.FullName, "restored-" + Path.GetFileName(snapshot));
            // An old data dir with the embedded etcd's config beside it: kept aside, its config carried over.
            Directory.CreateDirectory(Path.Combine(dataDir, "member"));
            await File.WriteAllTextAsync(Path.Combine(dataDir, "config.json"), "{}");
            string? kept = await EtcdSnapshotRestore.RestoreAsync(snapshot, dataDir, "navarch-test", $"http://127.0.0.1:{FreePort.Next()}", TimeProvider.System);

            Assert.True(Directory.Exists(Path.Combine(kept!, "member")));
            Assert.Equal("{}", await File.ReadAllTextAsync(Path.Combine(dataDir, "config.json")));
            await using EtcdServer restored = await EtcdServer.StartAsync(dataDir: dataDir);
            await using EtcdStore store = await EtcdStore.OpenAsync(new EtcdStoreOptions { Endpoints = restored.Endpoint });
            List<KeyValue> now = [.. (await store.ListAsync(prefix, new ListOptions())).Items];
            Assert.Equal(atSnapshot.Select(Describe), now.Select(Describe));
            Assert.Null(await store.GetAsync($"{prefix}after"));
        }
    }

    [Fact]
    public async Task Restoring_without_etcdctl_names_the_package()
    {
        string snapshot = Path.Combine(_dir.FullName, "s");
        await File.WriteAllTextAsync(snapshot, "x");
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => EtcdSnapshotRestore.RestoreAsync(snapshot, Path.Combine(_dir.FullName, "d"), "m", "http://127.0.0.1:2380", TimeProvider.System, etcdctl: "/nonexistent/etcdctl"));
        Assert.Equal("etcdctl is not installed at /nonexistent/etcdctl: restoring an etcd snapshot needs the etcd-client package (apt-get install etcd-client)", e.Message);
    }

    [Fact]
    public async Task A_corrupt_snapshot_fails_in_one_line_and_leaves_the_data_dir_alone()
    {
        string snapshot = Path.Combine(_dir.FullName, "corrupt");
        await File.WriteAllBytesAsync(snapshot, new byte[8192]);
        string dataDir = Path.Combine(_dir.FullName, "data");
        Directory.CreateDirectory(Path.Combine(dataDir, "member"));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => EtcdSnapshotRestore.RestoreAsync(snapshot, dataDir, "m", "http://127.0.0.1:2380", TimeProvider.System));
        Assert.StartsWith($"etcdctl snapshot restore of {snapshot} failed", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.True(Directory.Exists(Path.Combine(dataDir, "member")));
        Assert.Single(Directory.GetDirectories(_dir.FullName));
    }

    private static string Describe(KeyValue kv) => $"{kv.Key} {kv.CreateRevision} {kv.ModRevision} {kv.Version} {Convert.ToBase64String(kv.Value)}";

    public void Dispose() => _dir.Delete(recursive: true);
}
