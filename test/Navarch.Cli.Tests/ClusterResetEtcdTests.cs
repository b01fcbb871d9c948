using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer.Join;
using Navarch.Server;
using Navarch.Snapshots;
using Navarch.Storage;
using Navarch.Storage.Etcd;
using Navarch.Testing;

namespace Navarch.Cli.Tests;

/// <summary>
/// <c>--cluster-reset --cluster-reset-restore-path</c> when the data dir has an embedded etcd (its config.json): the
/// etcd data dir is rebuilt from the snapshot for that member, and an etcd started on it serves the snapshot's keys;
/// without a snapshot the data stays and the member is marked to start once with --force-new-cluster.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ClusterResetEtcdTests : IDisposable
{
    private readonly DirectoryInfo _dataDir = Directory.CreateTempSubdirectory("navarch-reset-etcd-");

    [Fact]
    public async Task The_embedded_etcd_s_data_dir_is_restored_from_the_snapshot()
    {
        string snapshot = Path.Combine(_dataDir.FullName, "snap");
        List<string> atSnapshot;
        await using (EtcdServer source = await EtcdServer.StartAsync())
        await using (EtcdStore store = await EtcdStore.OpenAsync(new EtcdStoreOptions { Endpoints = source.Endpoint }))
        {
            for (int i = 0; i < 10; i++)
            {
                await store.CreateAsync($"/registry/configmaps/default/cm{i}", [(byte)i]);
            }

            atSnapshot = Describe(await store.ListAsync("/registry/", new ListOptions()));
            await store.SaveSnapshotAsync(snapshot);
        }

        string etcdDir = EmbeddedEtcdConfig.DataDir(_dataDir.FullName);
        Directory.CreateDirectory(Path.Combine(etcdDir, "member"));
        await File.WriteAllTextAsync(Path.Combine(etcdDir, "config.json"), $$"""{"name":"navarch-test","clientUrl":"https://127.0.0.1:2379","peerUrl":"http://127.0.0.1:{{FreePort.Next()}}"}""");
        // A server's data dir: its cluster CA is there (a data dir without one needs the snapshot's bootstrap data, below).
        Directory.CreateDirectory(Path.Combine(_dataDir.FullName, "server", "tls"));
        await File.WriteAllTextAsync(Path.Combine(_dataDir.FullName, "server", "tls", "server-ca.crt"), "kept");

        await ClusterReset.RunAsync(_dataDir.FullName, "", new SnapshotOptions { ClusterReset = true, ClusterResetRestorePath = snapshot }, null, null, TimeProvider.System, NullLogger.Instance, CancellationToken.None);

        Assert.True(File.Exists(Path.Combine(_dataDir.FullName, "server", "db", "reset-flag")));
        Assert.Single(Directory.GetDirectories(Path.Combine(_dataDir.FullName, "server", "db"), "etcd.bak-*"));
        Assert.NotNull(EmbeddedEtcdConfig.Read(_dataDir.FullName));
        await using EtcdServer restored = await EtcdServer.StartAsync(dataDir: etcdDir);
        await using EtcdStore reopened = await EtcdStore.OpenAsync(new EtcdStoreOptions { Endpoints = restored.Endpoint });
        Assert.Equal(atSnapshot, Describe(await reopened.ListAsync("/registry/", new ListOptions())));
    }

    [Fact]
    public async Task A_data_dir_that_lost_everything_gets_the_cluster_CA_keys_and_data_back_from_the_snapshot_with_the_token()
    {
        const string Token = "K10" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + "::server:5ecret";
        string snapshot = Path.Combine(_dataDir.FullName, "snap");
        string source = Path.Combine(_dataDir.FullName, "source", "server");
        var shared = new Dictionary<string, string>
        {
            ["tls/server-ca.crt"] = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n",
            ["tls/server-ca.key"] = "CA key",
            ["tls/service.key"] = "service account key",
            ["cred/encryption-config.json"] = "{}",
        };
        BootstrapData.WriteFiles(shared, source);
        List<string> atSnapshot;
        await using (EtcdServer etcd = await EtcdServer.StartAsync())
        await using (EtcdStore store = await EtcdStore.OpenAsync(new EtcdStoreOptions { Endpoints = etcd.Endpoint }))
        {
            await store.CreateAsync("/registry/configmaps/default/kept", [1]);
            await BootstrapData.SaveAsync(store, source, Token, CancellationToken.None);
            // Stored as they are: a second start writes nothing.
            long revision = await store.GetCurrentRevisionAsync();
            await BootstrapData.SaveAsync(store, source, "server:5ecret", CancellationToken.None);
            Assert.Equal(revision, await store.GetCurrentRevisionAsync());
            Assert.True((await store.GetAsync(BootstrapData.KeyFor(Token)))!.Value.AsSpan().IndexOf("CA key"u8) < 0, "the CA key is stored encrypted");
            atSnapshot = Describe(await store.ListAsync("/registry/", new ListOptions()));
            await store.SaveSnapshotAsync(snapshot);
        }

        string dataDir = Path.Combine(_dataDir.FullName, "new-machine");
        var embedded = new Navarch.Server.Etcd.EmbeddedEtcdOptions
        {
            DataDir = dataDir,
            NodeName = "restored",
            BindAddress = System.Net.IPAddress.Loopback,
            AdvertiseAddress = System.Net.IPAddress.Loopback,
            ServiceCidr = "10.43.0.0/16",
            PeerPort = FreePort.Next(),
        };
        var restore = new SnapshotOptions { ClusterReset = true, ClusterResetRestorePath = snapshot };
        InvalidDataException noToken = await Assert.ThrowsAsync<InvalidDataException>(() => ClusterReset.RunAsync(dataDir, "", restore, embedded, null, TimeProvider.System, NullLogger.Instance, CancellationToken.None));
        Assert.Contains("needs the cluster's server token (--token)", noToken.Message, StringComparison.Ordinal);
        InvalidDataException wrong = await Assert.ThrowsAsync<InvalidDataException>(() => ClusterReset.RunAsync(dataDir, "", restore, embedded, "server:other", TimeProvider.System, NullLogger.Instance, CancellationToken.None));
        Assert.Contains("holds no bootstrap data for this --token", wrong.Message, StringComparison.Ordinal);
        Assert.Null(EmbeddedEtcdConfig.Read(dataDir));

        await ClusterReset.RunAsync(dataDir, "", restore, embedded, Token, TimeProvider.System, NullLogger.Instance, CancellationToken.None);

        Assert.All(shared, f => Assert.Equal(f.Value, File.ReadAllText(Path.Combine(dataDir, "server", f.Key))));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dataDir, "server", "tls", "server-ca.key")));
        Assert.StartsWith("restored-", EmbeddedEtcdConfig.Read(dataDir)!.Name, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(Path.Combine(dataDir, "server", "db"), "bootstrap-read-*"));
        await using EtcdServer restored = await EtcdServer.StartAsync(dataDir: EmbeddedEtcdConfig.DataDir(dataDir));
        await using EtcdStore reopened = await EtcdStore.OpenAsync(new EtcdStoreOptions { Endpoints = restored.Endpoint });
        Assert.Equal(atSnapshot, Describe(await reopened.ListAsync("/registry/", new ListOptions())));
    }

    [Fact]
    public async Task Without_a_snapshot_the_embedded_etcd_keeps_its_data_and_starts_as_a_new_cluster_once()
    {
        string etcdDir = EmbeddedEtcdConfig.DataDir(_dataDir.FullName);
        Directory.CreateDirectory(Path.Combine(etcdDir, "member"));
        await File.WriteAllTextAsync(Path.Combine(etcdDir, "config.json"), """{"name":"navarch-test","clientUrl":"https://127.0.0.1:2379","peerUrl":"https://127.0.0.1:2380"}""");
        var reset = new SnapshotOptions { ClusterReset = true };

        await ClusterReset.RunAsync(_dataDir.FullName, "", reset, null, null, TimeProvider.System, NullLogger.Instance, CancellationToken.None);

        Assert.True(ClusterReset.ForcesNewCluster(reset));
        Assert.False(ClusterReset.ForcesNewCluster(new SnapshotOptions { ClusterReset = true, ClusterResetRestorePath = "/tmp/s" }));
        Assert.True(Directory.Exists(Path.Combine(etcdDir, "member")));
        Assert.Empty(Directory.GetDirectories(Path.Combine(_dataDir.FullName, "server", "db"), "etcd.bak-*"));
        Assert.True(File.Exists(Path.Combine(_dataDir.FullName, "server", "db", "reset-flag")));
        var again = await Assert.ThrowsAsync<InvalidDataException>(() => ClusterReset.RunAsync(_dataDir.FullName, "", reset, null, null, TimeProvider.System, NullLogger.Instance, CancellationToken.None));
        Assert.Contains("was reset already", again.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_external_etcd_is_not_reset_here()
    {
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ClusterReset.RunAsync(_dataDir.FullName, "http://127.0.0.1:2379", new SnapshotOptions { ClusterReset = true, ClusterResetRestorePath = "/tmp/s" }, null, null, TimeProvider.System, NullLogger.Instance, CancellationToken.None));
        Assert.Equal("--cluster-reset resets the embedded datastore; an external etcd (--datastore-endpoint) is restored with etcdctl snapshot restore", e.Message);
    }

    private static List<string> Describe(ListResult list) => [.. list.Items.Select(kv => $"{kv.Key} {kv.CreateRevision} {kv.ModRevision} {kv.Version}")];

    public void Dispose() => _dataDir.Delete(recursive: true);
}
