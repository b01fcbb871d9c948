using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Xunit.Abstractions;

namespace Navarch.E2E.Tests.HighAvailability;

/// <summary>
/// Issue 21's control plane beyond one lost machine, on the network-namespace harness (three servers on an embedded
/// etcd, one cluster start for all of it): every server holds an identity Lease; a watch through a server that is lost
/// is resumed through another from its last resourceVersion without missing an event; with two of the three servers lost the
/// last one has no etcd quorum and refuses reads and writes with a Status in bounded time, not ready but alive; one
/// server back heals it with no acknowledged write lost; the Lease of the server that stays away expires and is
/// collected; then k3s's restore: a snapshot saved online, every server stopped, the first started with
/// <c>--cluster-reset --cluster-reset-restore-path --token</c> after its whole data dir was deleted (the CA and keys come back
/// from the snapshot, the agents adopt their pods again), the others' <c>server/db</c> deleted so they join it afresh; last a
/// member removed from the cluster, whose server leaves a tombstone and rejoins as a new member when restarted.
/// </summary>
[Trait("Category", "MultiNode")]
public sealed partial class QuorumAndRestoreMultiNodeTests(NetnsHaShortLeaseCluster cluster, ITestOutputHelper output) : IClassFixture<NetnsHaShortLeaseCluster>
{
    [Fact]
    public async Task Losing_quorum_refuses_requests_until_a_server_returns_and_a_snapshot_restores_the_cluster()
    {
        // Identity Leases: one per server, named after it, labelled, renewed at the configured duration.
        string[] leases = [.. Enumerable.Range(0, cluster.ServerCount).Select(i => IdentityLeaseName(cluster.ServerDataDir(i)))];
        await Eventually(
            async () => (await IdentityLeasesAsync(cluster.Kubeconfig)).Select(l => l.Metadata.Name).Order().SequenceEqual(leases.Order()),
            "an identity Lease for each of the three servers",
            TimeSpan.FromSeconds(60));
        foreach (V1Lease lease in await IdentityLeasesAsync(cluster.Kubeconfig))
        {
            Assert.Equal(NetnsHaShortLeaseCluster.IdentityLeaseSeconds, lease.Spec.LeaseDurationSeconds);
            Assert.StartsWith(lease.Metadata.Name + "_", lease.Spec.HolderIdentity, StringComparison.Ordinal);
            Assert.Equal(Dns.GetHostName(), lease.Metadata.Labels["kubernetes.io/hostname"]);
        }

        using Kubernetes first = Client(0);

        // Watch continuity across a server switch: a watch through the third server sees the first writes; that server
        // is lost mid-stream; the client watches again through another server from the last resourceVersion it saw
        // and misses no event (and sees none twice).
        using Kubernetes third = Client(2);
        using Kubernetes second = Client(1);
        var seen = new List<(string Name, string Version)>();
        string from = (await first.CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: "quorum-test")).Metadata.ResourceVersion;
        var written = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var watching = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            Task<string> firstWatch = WatchAddedAsync(third, from, seen, stopAfter: 10, watching.Token);
            for (int n = 0; n < 20; n++)
            {
                if (n == 10)
                {
                    // The watch through the third server has seen the first ten writes; then its machine is lost.
                    await firstWatch;
                    await cluster.KillServerAsync(2);
                }

                V1ConfigMap created = await first.CoreV1.CreateNamespacedConfigMapAsync(Map($"q-{n:D2}"), "default");
                written[created.Metadata.Name] = created.Metadata.ResourceVersion;
            }

            await WatchAddedAsync(second, seen[^1].Version, seen, stopAfter: 20, watching.Token);
        }

        Assert.Equal(written.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => (w.Key, w.Value)), seen);

        // Two of three servers lost: the last has no quorum. kube-apiserver's reads are linearizable (a quorum read
        // from etcd) and so fail like its writes; both are answered with a Status, neither a 500, in bounded time.
        await cluster.KillServerAsync(1);
        (HttpStatusCode write, TimeSpan writeTook) = await RefusedAsync(() => first.CoreV1.CreateNamespacedConfigMapAsync(Map("no-quorum"), "default"));
        (HttpStatusCode read, TimeSpan readTook) = await RefusedAsync(() => first.CoreV1.ReadNamespacedConfigMapAsync("q-00", "default"));
        Kubectl.Result readyz = await Kubectl.RunAsync(cluster.Kubeconfig, ["get", "--raw", "/readyz?verbose"]);
        Assert.True(readyz.ExitCode != 0 && readyz.Output.Contains("[-]etcd failed", StringComparison.Ordinal), "readyz without quorum: " + readyz.Output);
        Kubectl.Result ping = await Kubectl.RunAsync(cluster.Kubeconfig, ["get", "--raw", "/livez/ping"]);
        Assert.True(ping.ExitCode == 0, "the server process stays live: " + ping.Output);

        // One server back: a quorum of two; writes succeed again through the server that stayed, and every write
        // acknowledged before is there.
        var clock = Stopwatch.StartNew();
        await cluster.StartServerAsync(1);
        await Eventually(
            async () =>
            {
                try
                {
                    await first.CoreV1.CreateNamespacedConfigMapAsync(Map("healed"), "default");
                    return true;
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
                {
                    // An earlier attempt was applied but its answer was lost.
                    return true;
                }
                catch (HttpOperationException e) when ((int)e.Response.StatusCode >= 500)
                {
                    return false;
                }
            },
            "a write through the server that kept running, once a second server is back",
            TimeSpan.FromSeconds(60));
        TimeSpan healed = clock.Elapsed;
        V1ConfigMapList stored = await first.CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: "quorum-test");
        Dictionary<string, string> storedVersions = stored.Items.ToDictionary(m => m.Metadata.Name, m => m.Metadata.ResourceVersion, StringComparer.Ordinal);
        Assert.All(written, w => Assert.Equal(w.Value, storedVersions.GetValueOrDefault(w.Key)));
        // The refused write may still be committed now: etcd keeps an entry the old leader appended (a 504 says the
        // outcome is unknown), so it is not checked either way.

        // The third server stays away: its identity Lease is no longer renewed, expires and is collected by the others;
        // theirs stay.
        clock.Restart();
        await Eventually(
            async () => (await IdentityLeasesAsync(cluster.Kubeconfig)).Select(l => l.Metadata.Name).Order().SequenceEqual(leases[..2].Order()),
            "the stopped server's identity Lease collected, the others' kept",
            TimeSpan.FromSeconds(120),
            TimeSpan.FromSeconds(1));
        TimeSpan collected = clock.Elapsed;

        // A snapshot, taken while the servers run; what is written after it is lost by the restore.
        // (A revision read before the save is at most the snapshot's.)
        // A pod running on an agent is in it too: the agents keep running through the restore and adopt it again.
        V1Pod running = await RunningPodAsync(first);
        long snapshotRevision = long.Parse((await first.CoreV1.ListNamespacedConfigMapAsync("default")).Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture);
        // Kept outside the data dir (k3s's --etcd-snapshot-dir), as the data dir is lost below.
        string snapshots = Path.Combine(cluster.DataDir, "snapshots");
        Kubectl.Result saved = await NavarchCli.RunAsync(["snapshot", "save", "--data-dir", cluster.ServerDataDir(0), "--name", "before-restore", "--etcd-snapshot-dir", snapshots]);
        Assert.True(saved.ExitCode == 0, saved.Output);
        string snapshot = SavedTo().Match(saved.Stdout) is { Success: true } m ? m.Groups[1].Value.Trim() : throw new Xunit.Sdk.XunitException("no path in: " + saved.Output);
        await first.CoreV1.DeleteNamespacedConfigMapAsync("q-00", "default");
        string lost = (await first.CoreV1.CreateNamespacedConfigMapAsync(Map("after-snapshot"), "default")).Metadata.ResourceVersion;

        // k3s's procedure: every server stopped; the first restores the snapshot as a one-member cluster; the others'
        // datastores deleted, and they join it again. The first server's machine is lost with its whole data dir: its
        // cluster CA, keys and encryption config come back from the snapshot's bootstrap data with the server token.
        string token = File.ReadAllText(Path.Combine(cluster.ServerDataDir(0), "server", "token")).Trim();
        await cluster.StopServerAsync(1);
        await cluster.StopServerAsync(0);
        Directory.Delete(cluster.ServerDataDir(0), recursive: true);
        clock.Restart();
        await cluster.StartServerAsync(0, "--cluster-reset", "--cluster-reset-restore-path", snapshot, "--token", token);
        TimeSpan restored = clock.Elapsed;
        DateTime restoredAt = DateTime.UtcNow;
        using Kubernetes restoredClient = Client(0);
        V1ConfigMapList back = await restoredClient.CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: "quorum-test");
        Dictionary<string, string> backVersions = back.Items.ToDictionary(c => c.Metadata.Name, c => c.Metadata.ResourceVersion, StringComparer.Ordinal);
        Assert.Equal(written.Keys.Order(StringComparer.Ordinal), backVersions.Keys.Where(k => k.StartsWith("q-", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Contains("healed", backVersions.Keys);
        Assert.DoesNotContain("after-snapshot", backVersions.Keys);
        // Revisions do not repeat (k3s's --bump-revision --mark-compacted, on etcd 3.4): every resourceVersion served
        // after the restore is above the lost write's, and a watch from a resourceVersion of before is told 410 Gone.
        long lostRevision = long.Parse(lost, System.Globalization.CultureInfo.InvariantCulture);
        Assert.All(backVersions.Values, v => Assert.True(long.Parse(v, System.Globalization.CultureInfo.InvariantCulture) > lostRevision, $"restored at {v}, a lost write at {lost}"));
        Kubectl.Result stale = await Kubectl.RunAsync(cluster.Kubeconfig, ["get", "--raw", $"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={lost}&timeoutSeconds=5"]);
        Assert.Contains("too old resource version", stale.Output, StringComparison.Ordinal);
        V1ConfigMap afterRestore = await restoredClient.CoreV1.CreateNamespacedConfigMapAsync(Map("after-restore"), "default");
        Assert.True(long.Parse(afterRestore.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) > lostRevision, $"a write after the restore at {afterRestore.Metadata.ResourceVersion}, the lost one at {lost}, the snapshot at {snapshotRevision}");

        clock.Restart();
        for (int i = 1; i < cluster.ServerCount; i++)
        {
            Directory.Delete(Path.Combine(cluster.ServerDataDir(i), "server", "db"), recursive: true);
            await cluster.StartServerAsync(i);
            using Kubernetes rejoined = Client(i);
            Assert.Equal(backVersions["q-00"], (await rejoined.CoreV1.ReadNamespacedConfigMapAsync("q-00", "default")).Metadata.ResourceVersion);
        }

        TimeSpan rejoinedIn = clock.Elapsed;

        // The agents trust the restored CA and adopt their pods: each Node's Lease renewed through the restored cluster,
        // and the pod's container the one that ran before (not started again).
        await Eventually(
            async () => (await restoredClient.CoordinationV1.ListNamespacedLeaseAsync("kube-node-lease")).Items
                .Count(l => cluster.Nodes.Contains(l.Metadata.Name) && l.Spec.RenewTime > restoredAt) == cluster.Nodes.Count,
            "every agent's Node Lease renewed after the restore",
            TimeSpan.FromSeconds(90));
        await Eventually(
            async () =>
            {
                V1Pod pod = await restoredClient.CoreV1.ReadNamespacedPodAsync(running.Metadata.Name, "default");
                Assert.Equal(running.Metadata.Uid, pod.Metadata.Uid);
                return pod.Status.Phase == "Running" && pod.Status.ContainerStatuses is [{ Ready: true, RestartCount: 0 } status] && status.ContainerID == running.Status.ContainerStatuses[0].ContainerID;
            },
            "the pod adopted by its agent: Running, Ready, the same container",
            TimeSpan.FromSeconds(60));
        Kubectl.Result members = await NavarchCli.RunAsync(["etcd", "member", "list", "--data-dir", cluster.ServerDataDir(0)]);
        Assert.True(members.ExitCode == 0, members.Output);
        string[] rows = members.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..];
        Assert.Equal(3, rows.Length);
        Assert.All(rows, row => Assert.Matches(@"\sstarted\s+true\s", row));
        await Eventually(
            async () => (await IdentityLeasesAsync(cluster.Kubeconfig)).Select(l => l.Metadata.Name).Order().SequenceEqual(leases.Order()),
            "an identity Lease for each server again",
            TimeSpan.FromSeconds(60));

        // A member removed from the cluster: its etcd stops and leaves a tombstone (not restarted on stale data); the
        // server restarted moves that datastore aside and joins again as a new member.
        string removed = rows.Select(r => r.Split(' ', 2)[0]).Single(n => n.StartsWith(cluster.ServerNodeName(2) + "-", StringComparison.Ordinal));
        // etcd refuses a removal ("unhealthy cluster") until its leader has been connected to a quorum for 5 s (its
        // HealthInterval); the servers just rejoined may not be yet, as with etcdctl the removal is tried again.
        Kubectl.Result? removal = null;
        await Eventually(
            async () =>
            {
                removal = await NavarchCli.RunAsync(["etcd", "member", "remove", "--data-dir", cluster.ServerDataDir(0), removed]);
                Assert.True(removal.ExitCode == 0 || removal.Output.Contains("unhealthy cluster", StringComparison.Ordinal), removal.Output);
                return removal.ExitCode == 0;
            },
            "the member removed once etcd counts the cluster healthy",
            TimeSpan.FromSeconds(60),
            TimeSpan.FromSeconds(2),
            () => Task.FromResult(removal?.Output ?? ""));
        string tombstone = Path.Combine(cluster.ServerDataDir(2), "server", "db", "etcd", "tombstone");
        await Eventually(() => File.Exists(tombstone), "the removed member's tombstone", TimeSpan.FromSeconds(60));
        await cluster.StopServerAsync(2);
        await cluster.StartServerAsync(2);
        Assert.Single(Directory.GetDirectories(Path.Combine(cluster.ServerDataDir(2), "server", "db"), "etcd.removed-*"));
        Assert.False(File.Exists(tombstone));
        members = await NavarchCli.RunAsync(["etcd", "member", "list", "--data-dir", cluster.ServerDataDir(0)]);
        rows = members.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..];
        Assert.Equal(3, rows.Length);
        Assert.All(rows, row => Assert.Matches(@"\sstarted\s+true\s", row));
        Assert.DoesNotContain(rows, r => r.StartsWith(removed + " ", StringComparison.Ordinal));
        using (Kubernetes rejoined = Client(2))
        {
            Assert.NotNull(await rejoined.CoreV1.ReadNamespacedConfigMapAsync("after-restore", "default"));
        }

        output.WriteLine($"a watch through the lost third server resumed through the second: {seen.Count} ADDED events, none missed or repeated");
        output.WriteLine($"two of three servers lost: write refused with {(int)write} in {writeTook.TotalMilliseconds:F0} ms, read with {(int)read} in {readTook.TotalMilliseconds:F0} ms; readyz failing the etcd check, livez/ping ok");
        output.WriteLine($"a second server back: first write acknowledged {healed.TotalMilliseconds:F0} ms after its start; {written.Count} acknowledged writes, none lost");
        output.WriteLine($"the stopped server's identity Lease (duration {NetnsHaShortLeaseCluster.IdentityLeaseSeconds} s) collected {collected.TotalMilliseconds:F0} ms after the heal");
        output.WriteLine($"removed member {removed}: tombstone left, the server restarted joined again as a new member");
        output.WriteLine($"snapshot restored and serving in {restored.TotalMilliseconds:F0} ms; two servers rejoined with fresh datastores in {rejoinedIn.TotalMilliseconds:F0} ms");
    }

    /// <summary>Creates a pod that sleeps and waits until it runs on an agent.</summary>
    private static async Task<V1Pod> RunningPodAsync(Kubernetes client)
    {
        await client.CoreV1.CreateNamespacedPodAsync(
            new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = "kept-running" },
                Spec = new V1PodSpec { TerminationGracePeriodSeconds = 1, Containers = [new V1Container { Name = "c", Image = "busybox:1.35", Command = ["sleep", "3600"] }] },
            },
            "default");
        V1Pod? pod = null;
        await Eventually(
            async () => (pod = await client.CoreV1.ReadNamespacedPodAsync("kept-running", "default")).Status is { Phase: "Running", ContainerStatuses: [{ Ready: true }] },
            "the pod running",
            TimeSpan.FromSeconds(120));
        return pod!;
    }

    private Kubernetes Client(int server) => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(cluster.ServerKubeconfig(server)));

    private static V1ConfigMap Map(string name) => new() { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["quorum-test"] = "true" } } };

    /// <summary>
    /// Runs a request that the server must refuse: answered within 30 s (etcd gives up on a request without quorum
    /// after about 7 s) by a 503 or 504 whose body is a Kubernetes Status with the same code and no stack trace.
    /// </summary>
    private static async Task<(HttpStatusCode Code, TimeSpan Took)> RefusedAsync(Func<Task> request)
    {
        var clock = Stopwatch.StartNew();
        HttpOperationException refused = await Assert.ThrowsAsync<HttpOperationException>(async () =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await request().WaitAsync(timeout.Token);
        });
        TimeSpan took = clock.Elapsed;
        HttpStatusCode code = refused.Response.StatusCode;
        string body = refused.Response.Content;
        Assert.True(code is HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout, $"{(int)code}: {body}");
        Assert.True(took < TimeSpan.FromSeconds(30), $"refused only after {took}");
        using JsonDocument status = JsonDocument.Parse(body);
        Assert.Equal("Status", status.RootElement.GetProperty("kind").GetString());
        Assert.Equal((int)code, status.RootElement.GetProperty("code").GetInt32());
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        return (code, took);
    }

    /// <summary>
    /// Watches the test's ConfigMaps from <paramref name="resourceVersion"/> through <paramref name="client"/>, adding each
    /// ADDED event to <paramref name="seen"/> until it holds <paramref name="stopAfter"/>; returns the last version seen.
    /// </summary>
    private static async Task<string> WatchAddedAsync(Kubernetes client, string resourceVersion, List<(string Name, string Version)> seen, int stopAfter, CancellationToken cancellationToken)
    {
        await foreach ((WatchEventType type, V1ConfigMap map) in client.CoreV1.WatchListNamespacedConfigMapAsync("default", labelSelector: "quorum-test", resourceVersion: resourceVersion, allowWatchBookmarks: false, cancellationToken: cancellationToken))
        {
            Assert.Equal(WatchEventType.Added, type);
            seen.Add((map.Metadata.Name, map.Metadata.ResourceVersion));
            if (seen.Count >= stopAfter)
            {
                break;
            }
        }

        return seen[^1].Version;
    }

    private static async Task<IList<V1Lease>> IdentityLeasesAsync(string kubeconfig)
    {
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        return (await client.CoordinationV1.ListNamespacedLeaseAsync("kube-system", labelSelector: "apiserver.kubernetes.io/identity=kube-apiserver")).Items;
    }

    /// <summary>
    /// A server's identity Lease name as kube-apiserver forms it (<c>kube-apiserver-</c> and base32 of the first 16 bytes
    /// of a SHA-256), over the host name and — several servers may share a host — the server's data dir.
    /// </summary>
    private static string IdentityLeaseName(string dataDir)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{Dns.GetHostName()}\n{Path.GetFullPath(dataDir)}"));
        const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var name = new StringBuilder("kube-apiserver-");
        int buffer = 0, bits = 0;
        foreach (byte b in hash.AsSpan(0, 16))
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            for (; bits >= 5; bits -= 5)
            {
                name.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
            }
        }

        return bits > 0 ? name.Append(Alphabet[(buffer << (5 - bits)) & 31]).ToString() : name.ToString();
    }

    [GeneratedRegex(@"saved to (\S+)")]
    private static partial Regex SavedTo();
}
