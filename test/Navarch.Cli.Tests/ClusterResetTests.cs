using System.Globalization;
using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer;
using Navarch.Server;
using Navarch.Snapshots;
using Navarch.Testing;

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

    private string DataDir => Path.Combine(_dataDir.FullName, "data");

    private string AdminKubeconfig => Path.Combine(DataDir, "server", "cred", "admin.kubeconfig");

    private ServerRuntime Server(SnapshotOptions snapshots, string? token = null) => new(new ServerOptions
    {
        ApiServer = new ApiServerOptions { DataDir = DataDir, Port = 0, BindAddress = IPAddress.Loopback, Token = token },
        Snapshots = snapshots,
    }, NullLoggerFactory.Instance);

    private Kubernetes Client() => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(AdminKubeconfig));

    [Fact]
    public async Task Restoring_a_snapshot_gives_back_exactly_its_objects_at_their_resource_versions()
    {
        string snapshot;
        List<string> atSnapshot;
        long seen;
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
            Assert.Equal(0, await root.Parse(["snapshot", "save", "--data-dir", DataDir, "--node-name", "n1"]).InvokeAsync());
            snapshot = Assert.Single(Directory.GetFiles(SnapshotDirectory.DefaultPath(DataDir)));

            await client.CoreV1.DeleteNamespacedConfigMapAsync("cm0", "default");
            V1ConfigMap two = await client.CoreV1.ReadNamespacedConfigMapAsync("cm2", "default");
            two.Data["i"] = "after";
            await client.CoreV1.ReplaceNamespacedConfigMapAsync(two, "cm2", "default");
            await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "later" } }, "default");
            V1ConfigMapList lost = await client.CoreV1.ListNamespacedConfigMapAsync("default");
            Assert.NotEqual(atSnapshot, Describe(lost));
            // What an informer holds when the server stops: the resourceVersion of the timeline the restore throws away.
            seen = long.Parse(lost.Metadata.ResourceVersion, CultureInfo.InvariantCulture);
            await server.StopAsync();
        }

        var reset = noSchedule with { ClusterReset = true, ClusterResetRestorePath = snapshot };
        await using (ServerRuntime server = Server(reset))
        {
            await server.StartApiServerAsync(CancellationToken.None);
            using Kubernetes client = Client();
            V1ConfigMapList back = await client.CoreV1.ListNamespacedConfigMapAsync("default");
            Assert.Equal(atSnapshot, Describe(back));
            Assert.Single(Directory.GetFiles(Path.Combine(DataDir, "server", "db"), "state.db.bak-*"));

            // Revisions moved on past the lost timeline (etcd's --bump-revision): a new write is above anything seen before.
            Assert.True(long.Parse(back.Metadata.ResourceVersion, CultureInfo.InvariantCulture) > seen + 999_000_000, $"listed at {back.Metadata.ResourceVersion}, seen before {seen}");
            V1ConfigMap fresh = await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "after-restore" } }, "default");
            Assert.True(long.Parse(fresh.Metadata.ResourceVersion, CultureInfo.InvariantCulture) > long.Parse(back.Metadata.ResourceVersion, CultureInfo.InvariantCulture));

            // A watch resumed from the old resourceVersion (the real kubectl's raw GET) is told 410 Gone, so it relists.
            (int code, string output, string error) = await RealKubectl.RunAsync(AdminKubeconfig, "get", "--raw", $"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={seen}&timeoutSeconds=5");
            Assert.True(code == 0, error);
            Assert.Contains("\"type\":\"ERROR\"", output, StringComparison.Ordinal);
            Assert.Contains("\"code\":410", output, StringComparison.Ordinal);
            Assert.Contains("\"reason\":\"Expired\"", output, StringComparison.Ordinal);
            await server.StopAsync();
        }

        Assert.False(File.Exists(Path.Combine(DataDir, "server", "db", "bump-revision")), "the bump is done once");

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

        Assert.False(File.Exists(Path.Combine(DataDir, "server", "db", "reset-flag")));
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

    [Fact]
    public async Task A_wiped_data_dir_restored_with_the_token_gets_the_CA_and_keys_back_so_old_credentials_still_work()
    {
        string snapshots = Path.Combine(_dataDir.FullName, "snapshots");
        var noSchedule = new SnapshotOptions { Disabled = true };
        List<string> atSnapshot;
        string token, serviceAccountToken;
        await using (ServerRuntime server = Server(noSchedule))
        {
            await server.StartApiServerAsync(CancellationToken.None);
            using Kubernetes client = Client();
            await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "kept" }, Data = new Dictionary<string, string> { ["k"] = "v" } }, "default");
            await client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "restorer" } }, "default");
            serviceAccountToken = (await client.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { Audiences = [] } }, "restorer", "default")).Status.Token;
            atSnapshot = Describe(await client.CoreV1.ListNamespacedConfigMapAsync("default"));
            var output = new StringWriter();
            var root = new System.CommandLine.RootCommand { Commands.Snapshot.SnapshotCommand.Create(output, output) };
            Assert.Equal(0, await root.Parse(["snapshot", "save", "--data-dir", DataDir, "--node-name", "n1", "--dir", snapshots]).InvokeAsync());
            token = (await File.ReadAllTextAsync(Path.Combine(DataDir, "server", "token"))).Trim();
            await server.StopAsync();
        }

        // The machine is lost: only the snapshot (kept elsewhere), the token and a user's kubeconfig survive.
        string snapshot = Assert.Single(Directory.GetFiles(snapshots));
        string oldKubeconfig = Path.Combine(_dataDir.FullName, "user.kubeconfig");
        File.Copy(AdminKubeconfig, oldKubeconfig);
        Directory.Delete(DataDir, recursive: true);

        var restore = noSchedule with { ClusterReset = true, ClusterResetRestorePath = snapshot };
        await using (ServerRuntime noToken = Server(restore))
        {
            var e = await Assert.ThrowsAsync<InvalidDataException>(() => noToken.StartApiServerAsync(CancellationToken.None));
            Assert.Contains("needs the cluster's server token (--token)", e.Message, StringComparison.Ordinal);
        }

        await using (ServerRuntime wrongToken = Server(restore, "server:not-the-cluster-s"))
        {
            var e = await Assert.ThrowsAsync<InvalidDataException>(() => wrongToken.StartApiServerAsync(CancellationToken.None));
            Assert.Contains("holds no bootstrap data for this --token", e.Message, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(Path.Combine(DataDir, "server", "db", "state.db")), "a refused restore restores nothing");

        await using (ServerRuntime server = Server(restore, token))
        {
            await server.StartApiServerAsync(CancellationToken.None);
            // The user's old kubeconfig (its client certificate, its trusted CA) against the restored server, at its new port.
            KubernetesClientConfiguration old = KubernetesClientConfiguration.BuildConfigFromConfigFile(oldKubeconfig);
            old.Host = KubernetesClientConfiguration.BuildConfigFromConfigFile(AdminKubeconfig).Host;
            using var client = new Kubernetes(old);
            Assert.Equal(atSnapshot, Describe(await client.CoreV1.ListNamespacedConfigMapAsync("default")));

            // A service account token issued before the loss is still signed by a key the server trusts.
            using var asServiceAccount = new Kubernetes(new KubernetesClientConfiguration { Host = old.Host, SslCaCerts = old.SslCaCerts, AccessToken = serviceAccountToken });
            V1SelfSubjectReview review = await asServiceAccount.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview());
            Assert.Equal("system:serviceaccount:default:restorer", review.Status.UserInfo.Username);
            await server.StopAsync();
        }
    }

    private static List<string> Describe(V1ConfigMapList list) =>
        [.. list.Items.Select(c => $"{c.Metadata.Name} {c.Metadata.ResourceVersion} {c.Metadata.Uid} {string.Join(",", c.Data?.Select(d => $"{d.Key}={d.Value}") ?? [])}").Order(StringComparer.Ordinal)];

    public void Dispose() => _dataDir.Delete(recursive: true);
}
