using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer;
using Navarch.Server;
using Navarch.Snapshots;

namespace Navarch.Cli.Tests;

/// <summary>
/// <c>navarch server --cluster-reset --cluster-reset-restore-path</c> on SQLite, through the server's own start
/// (ServerRuntime's API server stage): objects created, a snapshot saved while the server runs, more changes, a
/// restart restoring the snapshot — exactly the snapshot's objects, each at its resourceVersion.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ClusterResetTests : IDisposable
{
    private readonly DirectoryInfo _dataDir = Directory.CreateTempSubdirectory("navarch-reset-");

    private ServerRuntime Server(SnapshotOptions snapshots) => new(new ServerOptions
    {
        ApiServer = new ApiServerOptions { DataDir = _dataDir.FullName, Port = 0, BindAddress = IPAddress.Loopback },
        Snapshots = snapshots,
    }, NullLoggerFactory.Instance);

    private Kubernetes Client() => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(Path.Combine(_dataDir.FullName, "server", "cred", "admin.kubeconfig")));

    [Fact]
    public async Task Restoring_a_snapshot_gives_back_exactly_its_objects_at_their_resource_versions()
    {
        string snapshot;
        List<string> atSnapshot;
        var noSchedule = new SnapshotOptions { Disabled = true };
        await using (ServerRuntime server = Server(noSchedule))
        {
            await server.StartApiServerAsync(CancellationToken.None);
            using Kubernetes client = Client();
            for (int i = 0; i < 5; i++)
            {
                await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"cm{i}" }, Data = new Dictionary<string, string> { ["i"] = $"{i}" } }, "default");
            }

            V1ConfigMap one = await client.CoreV1.ReadNamespacedConfigMapAsync("cm1", "default");
            one.Data["i"] = "changed";
            await client.CoreV1.ReplaceNamespacedConfigMapAsync(one, "cm1", "default");
            atSnapshot = Describe(await client.CoreV1.ListNamespacedConfigMapAsync("default"));

            // The CLI's save, beside the running server.
            var output = new StringWriter();
            var root = new System.CommandLine.RootCommand { Commands.Snapshot.SnapshotCommand.Create(output, output) };
            Assert.Equal(0, await root.Parse(["snapshot", "save", "--data-dir", _dataDir.FullName, "--node-name", "n1"]).InvokeAsync());
            snapshot = Assert.Single(Directory.GetFiles(SnapshotDirectory.DefaultPath(_dataDir.FullName)));

            await client.CoreV1.DeleteNamespacedConfigMapAsync("cm0", "default");
            V1ConfigMap two = await client.CoreV1.ReadNamespacedConfigMapAsync("cm2", "default");
            two.Data["i"] = "after";
            await client.CoreV1.ReplaceNamespacedConfigMapAsync(two, "cm2", "default");
            await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "later" } }, "default");
            Assert.NotEqual(atSnapshot, Describe(await client.CoreV1.ListNamespacedConfigMapAsync("default")));
            await server.StopAsync();
        }

        var reset = noSchedule with { ClusterReset = true, ClusterResetRestorePath = snapshot };
        await using (ServerRuntime server = Server(reset))
        {
            await server.StartApiServerAsync(CancellationToken.None);
            using Kubernetes client = Client();
            Assert.Equal(atSnapshot, Describe(await client.CoreV1.ListNamespacedConfigMapAsync("default")));
            Assert.Single(Directory.GetFiles(Path.Combine(_dataDir.FullName, "server", "db"), "state.db.bak-*"));
            await server.StopAsync();
        }

        // Still asking for the reset on the next start: refused, nothing restored over the new state.
        await using (ServerRuntime again = Server(reset))
        {
            var e = await Assert.ThrowsAsync<InvalidDataException>(() => again.StartApiServerAsync(CancellationToken.None));
            Assert.StartsWith("the datastore was reset already", e.Message, StringComparison.Ordinal);
        }

        // A normal start clears the flag.
        await using (ServerRuntime normal = Server(noSchedule))
        {
            await normal.StartApiServerAsync(CancellationToken.None);
            await normal.StopAsync();
        }

        Assert.False(File.Exists(Path.Combine(_dataDir.FullName, "server", "db", "reset-flag")));
    }

    [Fact]
    public async Task A_reset_without_a_snapshot_on_SQLite_or_of_an_external_etcd_is_refused_in_one_line()
    {
        await using ServerRuntime server = Server(new SnapshotOptions { Disabled = true, ClusterReset = true });
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => server.StartApiServerAsync(CancellationToken.None));
        Assert.Equal("--cluster-reset on the SQLite datastore needs --cluster-reset-restore-path: it has no members to reset", e.Message);

        var notSnapshot = Path.Combine(_dataDir.FullName, "not-a-snapshot");
        await File.WriteAllTextAsync(notSnapshot, "hello");
        await using ServerRuntime wrong = Server(new SnapshotOptions { Disabled = true, ClusterReset = true, ClusterResetRestorePath = notSnapshot });
        e = await Assert.ThrowsAsync<InvalidDataException>(() => wrong.StartApiServerAsync(CancellationToken.None));
        Assert.Equal($"{notSnapshot} is not a SQLite snapshot", e.Message);
    }

    private static List<string> Describe(V1ConfigMapList list) =>
        [.. list.Items.Select(c => $"{c.Metadata.Name} {c.Metadata.ResourceVersion} {c.Metadata.Uid} {string.Join(",", c.Data?.Select(d => $"{d.Key}={d.Value}") ?? [])}").Order(StringComparer.Ordinal)];

    public void Dispose() => _dataDir.Delete(recursive: true);
}
