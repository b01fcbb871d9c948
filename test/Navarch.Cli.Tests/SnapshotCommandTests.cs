using System.CommandLine;
using System.Text;
using Navarch.Commands.Snapshot;
using Navarch.Storage;
using Navarch.Storage.Etcd;
using Navarch.Storage.Sqlite;
using Navarch.Testing;

namespace Navarch.Cli.Tests;

/// <summary><c>navarch snapshot save|ls|delete|prune</c> on a data dir whose SQLite store is open and written (as a running server's), and on etcd.</summary>
[Trait("Category", "Integration")]
public sealed class SnapshotCommandTests : IDisposable
{
    private readonly DirectoryInfo _dataDir = Directory.CreateTempSubdirectory("navarch-snapcli-");

    private string SnapshotsDir => Path.Combine(_dataDir.FullName, "server", "db", "snapshots");

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var root = new RootCommand { SnapshotCommand.Create(output, error) };
        int code = await root.Parse(["snapshot", .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Save_ls_delete_and_prune_work_beside_a_running_SQLite_server()
    {
        await using SqliteStore store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(_dataDir.FullName, "server", "db", "state.db") });
        await store.CreateAsync("/registry/configmaps/default/a", "a"u8.ToArray());
        using var stop = new CancellationTokenSource();
        Task writer = Task.Run(async () =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                await store.CreateAsync($"/registry/configmaps/default/w{i}", "w"u8.ToArray());
            }
        });

        var saved = await RunAsync("save", "--data-dir", _dataDir.FullName, "--node-name", "n1");
        Assert.Equal((0, ""), (saved.Code, saved.Error));
        string name = Assert.Single(Directory.GetFiles(SnapshotsDir).Select(Path.GetFileName))!;
        Assert.Matches("^on-demand-n1-[0-9]{10}$", name);
        Assert.Equal($"Snapshot {name} of the sqlite datastore saved to {Path.Combine(SnapshotsDir, name)}\n", saved.Output);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(SnapshotsDir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(SnapshotsDir, name)));
        await stop.CancelAsync();
        await writer;

        var listed = await RunAsync("ls", "--data-dir", _dataDir.FullName);
        Assert.Equal(0, listed.Code);
        var root = new RootCommand { SnapshotCommand.Create(TextWriter.Null, TextWriter.Null) };
        Assert.Empty(root.Parse(["etcd-snapshot", "list", "--data-dir", _dataDir.FullName]).Errors);
        string[] lines = listed.Output.TrimEnd('\n').Split('\n');
        Assert.Matches("^Name +Location +Size +Created$", lines[0]);
        Assert.Matches($"^{name} +file://{SnapshotsDir}/{name} +[0-9]+ +[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}T[0-9:]{{8}}Z$", lines[1]);

        // Older snapshots of the same name and node, and one of another name: prune keeps the newest of that name only.
        foreach (string old in new[] { "on-demand-n1-1000000000", "on-demand-n1-1000000001", "on-demand-n2-1000000000", "nightly-n1-1000000000" })
        {
            await File.WriteAllTextAsync(Path.Combine(SnapshotsDir, old), "x");
        }

        var pruned = await RunAsync("prune", "--data-dir", _dataDir.FullName, "--node-name", "n1", "--retention", "2");
        Assert.Equal((0, "Snapshot on-demand-n1-1000000000 deleted\n"), (pruned.Code, pruned.Output));
        Assert.Equal(new[] { "nightly-n1-1000000000", "on-demand-n1-1000000001", "on-demand-n2-1000000000", name }.Order(StringComparer.Ordinal), Directory.GetFiles(SnapshotsDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var deleted = await RunAsync("delete", "--data-dir", _dataDir.FullName, name, "nightly-n1-1000000000");
        Assert.Equal((0, $"Snapshot {name} deleted\nSnapshot nightly-n1-1000000000 deleted\n"), (deleted.Code, deleted.Output));

        // The snapshot is the store: open a copy of it.
        string other = Path.Combine(_dataDir.FullName, "other");
        var named = await RunAsync("save", "--data-dir", _dataDir.FullName, "--dir", other, "--name", "before-upgrade", "--node-name", "n1");
        Assert.Equal(0, named.Code);
        string file = Assert.Single(Directory.GetFiles(other));
        Assert.StartsWith("before-upgrade-n1-", Path.GetFileName(file), StringComparison.Ordinal);
        await using SqliteStore copy = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = file });
        Assert.Equal(await store.GetCurrentRevisionAsync(), await copy.GetCurrentRevisionAsync());
    }

    [Fact]
    public async Task Errors_are_one_line_and_exit_1()
    {
        var noStore = await RunAsync("save", "--data-dir", _dataDir.FullName);
        Assert.Equal(1, noStore.Code);
        Assert.Equal($"navarch snapshot save: no datastore in {_dataDir.FullName}/server/db (neither state.db nor etcd/config.json): give the --data-dir of a server, or --etcd-endpoint\n", noStore.Error);

        var missing = await RunAsync("delete", "--data-dir", _dataDir.FullName, "nope");
        Assert.Equal((1, $"navarch snapshot delete: snapshot nope not found in {SnapshotsDir}\n"), (missing.Code, missing.Error));

        var traversal = await RunAsync("delete", "--data-dir", _dataDir.FullName, "../state.db");
        Assert.Equal(1, traversal.Code);
        Assert.StartsWith("navarch snapshot delete: invalid snapshot name ../state.db", traversal.Error, StringComparison.Ordinal);

        var noEtcd = await RunAsync("save", "--data-dir", _dataDir.FullName, "--etcd-endpoint", $"http://127.0.0.1:{FreePort.Next()}");
        Assert.Equal(1, noEtcd.Code);
        Assert.StartsWith("navarch snapshot save: etcd: Unavailable", noEtcd.Error, StringComparison.Ordinal);
        Assert.Single(noEtcd.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(Directory.GetFiles(SnapshotsDir));

        var embeddedWithoutTls = await WriteEmbeddedConfigAsync("https://127.0.0.1:2379");
        var tls = await RunAsync("save", "--data-dir", _dataDir.FullName);
        Assert.Equal((1, $"navarch snapshot save: https://127.0.0.1:2379 is https but {_dataDir.FullName}/server/tls/etcd/server-ca.crt does not exist: the etcd client certificate, key and CA are read from {_dataDir.FullName}/server/tls/etcd\n"), (tls.Code, tls.Error));
        File.Delete(embeddedWithoutTls);

        var retention = await RunAsync("prune", "--data-dir", _dataDir.FullName, "--retention", "0");
        Assert.NotEqual(0, retention.Code);
    }

    [Fact]
    public async Task Save_takes_an_etcd_snapshot_from_the_endpoint_or_from_the_embedded_etcd_config()
    {
        await using EtcdServer etcd = await EtcdServer.StartAsync();
        await using (EtcdStore store = await EtcdStore.OpenAsync(new EtcdStoreOptions { Endpoints = etcd.Endpoint }))
        {
            await store.CreateAsync("/registry/configmaps/default/a", Encoding.UTF8.GetBytes("a"));
        }

        var byEndpoint = await RunAsync("save", "--data-dir", _dataDir.FullName, "--etcd-endpoint", etcd.Endpoint, "--name", "ext", "--node-name", "n1");
        Assert.Equal((0, ""), (byEndpoint.Code, byEndpoint.Error));
        Assert.Contains("of the etcd datastore", byEndpoint.Output, StringComparison.Ordinal);

        await WriteEmbeddedConfigAsync(etcd.Endpoint);
        var embedded = await RunAsync("save", "--data-dir", _dataDir.FullName, "--name", "emb", "--node-name", "n1");
        Assert.Equal((0, ""), (embedded.Code, embedded.Error));

        // bbolt files (etcd's backend) followed by etcd's SHA-256; etcdctl checks it on restore.
        foreach (string file in Directory.GetFiles(SnapshotsDir))
        {
            Assert.True(new FileInfo(file).Length > 4096, file);
        }

        Assert.Equal(2, Directory.GetFiles(SnapshotsDir).Length);
    }

    private async Task<string> WriteEmbeddedConfigAsync(string clientUrl)
    {
        string path = Path.Combine(_dataDir.FullName, "server", "db", "etcd", "config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, $$"""{"name":"n1","clientUrl":"{{clientUrl}}","peerUrl":"https://127.0.0.1:2380"}""");
        return path;
    }

    public void Dispose() => _dataDir.Delete(recursive: true);
}
