using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using k8s;
using k8s.Models;
using Xunit.Abstractions;

namespace Navarch.E2E.Tests.HighAvailability;

/// <summary>
/// Issue 21's failover scenario on the network-namespace harness: three servers on an embedded etcd, two agents, a
/// client writing continuously. <c>kill -9</c> of the server that leads the controller manager (and of its etcd): no
/// acknowledged write is lost, the API answers through the other servers, a new leader's controllers replace a deleted
/// pod, the agents renew their Node leases through another server with their Nodes Ready throughout; the dead server
/// comes back with the same command line and rejoins. The times are printed (the failover benchmark's numbers).
/// </summary>
[Trait("Category", "MultiNode")]
public sealed class ServerFailoverMultiNodeTests(NetnsHaCluster cluster, ITestOutputHelper output) : IClassFixture<NetnsHaCluster>
{
    private const string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: keeper}
        spec:
          replicas: 2
          selector: {matchLabels: {app: keeper}}
          template:
            metadata: {labels: {app: keeper}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: c
                image: busybox:1.35
                command: ["sleep", "3600"]
        """;

    [Fact]
    public async Task Killing_the_leading_server_loses_no_acknowledged_write_and_the_cluster_carries_on()
    {
        Assert.Equal(3, cluster.ServerCount);
        Kubectl.Result applied = await Kubectl.RunAsync(cluster.Kubeconfig, ["apply", "-f", "-"], Deployment);
        Assert.True(applied.ExitCode == 0, applied.Output);
        if ((await cluster.KubectlAsync("rollout", "status", "deployment/keeper", "--timeout=120s")).ExitCode != 0)
        {
            Assert.Fail("keeper never rolled out:\n" + await cluster.DiagnosticsAsync());
        }

        int leader = await LeaderAsync(cluster.Kubeconfig);
        Assert.True(leader >= 0, "no server holds the kube-controller-manager lease: " + (await cluster.KubectlAsync("-n", "kube-system", "get", "lease", "kube-controller-manager", "-o", "yaml")).Output);
        int[] survivors = [.. Enumerable.Range(0, cluster.ServerCount).Where(i => i != leader)];
        string survivor = cluster.ServerKubeconfig(survivors[0]);
        output.WriteLine($"the controller manager's leader is server {leader}");

        // A client writing ConfigMaps one after another, moving to the next server when one fails or is slow; a write
        // counts as acknowledged only once a server answered 201 Created.
        using var writing = new CancellationTokenSource();
        var acknowledged = new ConcurrentQueue<(string Name, DateTime At)>();
        Task writer = WriteContinuouslyAsync(acknowledged, writing.Token);
        await Eventually(() => acknowledged.Count >= 20 || writer.IsCompleted, "the writer's first 20 writes", TimeSpan.FromSeconds(60));

        DateTime killedAt = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        await cluster.KillServerAsync(leader);

        // (a) The API answers through the other servers: the writer's first write acknowledged after the kill.
        await Eventually(() => acknowledged.Any(w => w.At > killedAt) || writer.IsCompleted, "a write acknowledged after the kill", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(20));
        Assert.False(writer.IsFaulted, writer.Exception?.ToString());
        TimeSpan apiAnswered = acknowledged.Where(w => w.At > killedAt).Min(w => w.At) - killedAt;

        // (b) A new controller-manager leader, on a surviving server, and (c) each agent's Node lease renewed (necessarily
        // through another server) after the kill: watched side by side, so neither time includes the other's wait.
        int newLeader = -1;
        TimeSpan leaderElected = TimeSpan.Zero;
        var reconnected = new TimeSpan[cluster.Nodes.Count];
        Task elected = Eventually(
            async () => (newLeader = await LeaderAsync(survivor)) is >= 0 && newLeader != leader,
            "a surviving server to lead the controller manager",
            TimeSpan.FromSeconds(60),
            TimeSpan.FromMilliseconds(200)).ContinueWith(t => { leaderElected = clock.Elapsed; return t; }, TaskScheduler.Default).Unwrap();
        Task renewed = Eventually(
            async () =>
            {
                for (int i = 0; i < reconnected.Length; i++)
                {
                    if (reconnected[i] == TimeSpan.Zero && await LeaseRenewedAsync(survivor, cluster.Nodes[i]) > killedAt)
                    {
                        reconnected[i] = clock.Elapsed;
                    }
                }

                return reconnected.All(t => t > TimeSpan.Zero);
            },
            "every agent's Node lease renewed after the kill",
            TimeSpan.FromSeconds(60),
            TimeSpan.FromMilliseconds(200));
        await Task.WhenAll(elected, renewed);

        // The new leader's controllers (ReplicaSet, scheduler) replace a deleted pod, and an agent runs the replacement.
        string[] before = (await Ok(survivor, "get", "pods", "-l", "app=keeper", "-o", "jsonpath={.items[*].metadata.name}")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, before.Length);
        clock.Restart();
        await Ok(survivor, "delete", "pod", before[0], "--wait=false");
        await Eventually(
            async () =>
            {
                Kubectl.Result pods = await Kubectl.RunAsync(survivor, ["get", "pods", "-l", "app=keeper", "--field-selector=status.phase=Running", "-o", "jsonpath={.items[*].metadata.name}"]);
                string[] names = pods.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return pods.ExitCode == 0 && names.Length == 2 && !names.Contains(before[0]);
            },
            "the deleted pod replaced by a running one",
            TimeSpan.FromSeconds(90),
            TimeSpan.FromMilliseconds(300),
            async () => await cluster.DiagnosticsAsync());
        TimeSpan replaced = clock.Elapsed;

        // The Nodes stayed Ready: their Ready condition has not changed since before the kill.
        foreach (string node in cluster.Nodes)
        {
            string[] ready = (await Ok(survivor, "get", "node", node, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status} {.status.conditions[?(@.type==\"Ready\")].lastTransitionTime}")).Trim().Split(' ');
            Assert.Equal("True", ready[0]);
            Assert.True(Parse(ready[1]) < killedAt, $"node {node}'s Ready condition changed at {ready[1]}, after the kill at {killedAt:O}");
        }

        // No acknowledged write lost.
        await writing.CancelAsync();
        await writer;
        string stored = await Ok(survivor, "get", "configmaps", "-l", "ha-writer", "-o", "jsonpath={.items[*].metadata.name}");
        var names = stored.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        string[] lost = [.. acknowledged.Select(w => w.Name).Where(n => !names.Contains(n))];
        Assert.True(lost.Length == 0, $"{lost.Length} of {acknowledged.Count} acknowledged writes lost: {string.Join(", ", lost.Take(10))}");

        // The dead server comes back with the same command line and data dir, and rejoins: it serves what was written
        // while it was away, and its etcd member is a started voter again.
        clock.Restart();
        await cluster.StartServerAsync(leader);
        TimeSpan rejoined = clock.Elapsed;
        string last = acknowledged.Last().Name;
        await Ok(cluster.ServerKubeconfig(leader), "get", "configmap", last);
        Kubectl.Result members = await NavarchCli.RunAsync(["etcd", "member", "list", "--data-dir", cluster.ServerDataDir(leader)]);
        Assert.True(members.ExitCode == 0, members.Output);
        string[] rows = members.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..];
        Assert.Equal(3, rows.Length);
        Assert.All(rows, row => Assert.Matches(@"\sstarted\s+true\s", row));
        await Ok(cluster.ServerKubeconfig(leader), "create", "configmap", "after-rejoin");

        output.WriteLine($"kill -9 of the leading server (lease duration 15 s, as Kubernetes' default); {acknowledged.Count} writes acknowledged, none lost:");
        output.WriteLine($"  (a) API answering through another server (first write acknowledged): {apiAnswered.TotalMilliseconds:F0} ms");
        output.WriteLine($"  (b) new controller-manager leader (server {newLeader}): {leaderElected.TotalMilliseconds:F0} ms");
        for (int i = 0; i < reconnected.Length; i++)
        {
            // What the agent's load balancer said: which server it used, and where it went after the kill.
            string[] balancer = [.. File.ReadLines(Path.Combine(cluster.DataDir, $"agent-{i + 1}.log")).Where(l => l.Contains("connects to server", StringComparison.Ordinal)).TakeLast(2)];
            output.WriteLine($"  (c) agent {cluster.Nodes[i]} reconnected (Node lease renewed through another server, renew interval 10 s): {reconnected[i].TotalMilliseconds:F0} ms; its balancer: {string.Join(" | ", balancer)}");
        }

        output.WriteLine($"  deleted pod replaced by a running one: {replaced.TotalMilliseconds:F0} ms after the delete");
        output.WriteLine($"  dead server restarted and ready: {rejoined.TotalMilliseconds:F0} ms");
    }

    /// <summary>Writes ConfigMaps until cancelled, going round the servers; each write that a server acknowledged is recorded.</summary>
    private async Task WriteContinuouslyAsync(ConcurrentQueue<(string Name, DateTime At)> acknowledged, CancellationToken stop)
    {
        Kubernetes[] clients = [.. Enumerable.Range(0, cluster.ServerCount).Select(i => new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(cluster.ServerKubeconfig(i))))];
        try
        {
            int server = 0;
            for (int n = 0; !stop.IsCancellationRequested; n++)
            {
                string name = $"w-{n:D5}";
                var map = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["ha-writer"] = "true" } }, Data = new Dictionary<string, string> { ["n"] = n.ToString(CultureInfo.InvariantCulture) } };
                while (!stop.IsCancellationRequested)
                {
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    attempt.CancelAfter(TimeSpan.FromSeconds(2));
                    try
                    {
                        await clients[server].CoreV1.CreateNamespacedConfigMapAsync(map, "default", cancellationToken: attempt.Token);
                        acknowledged.Enqueue((name, DateTime.UtcNow));
                        break;
                    }
                    catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
                    {
                        // An earlier attempt was applied but its answer lost: written, not acknowledged; the next name.
                        break;
                    }
                    catch (Exception e) when (e is HttpRequestException or OperationCanceledException or k8s.Autorest.HttpOperationException && !stop.IsCancellationRequested)
                    {
                        server = (server + 1) % clients.Length;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (Kubernetes client in clients)
            {
                client.Dispose();
            }
        }
    }

    /// <summary>
    /// The index of the server holding the kube-controller-manager Lease (asked through <paramref name="kubeconfig"/>), or
    /// -1. A server's identity is <c>&lt;host&gt;_&lt;id&gt;</c>, the id kept in its data dir (the servers share a host name here).
    /// </summary>
    private async Task<int> LeaderAsync(string kubeconfig)
    {
        Kubectl.Result lease = await Kubectl.RunAsync(kubeconfig, ["-n", "kube-system", "get", "lease", "kube-controller-manager", "-o", "jsonpath={.spec.holderIdentity}"]);
        string holder = lease.Stdout.Trim();
        return Enumerable.Range(0, cluster.ServerCount)
            .Where(i => holder.EndsWith("_" + File.ReadAllText(Path.Combine(cluster.ServerDataDir(i), "server", "leader-election-id")).Trim(), StringComparison.Ordinal))
            .DefaultIfEmpty(-1).First();
    }

    private static async Task<DateTime> LeaseRenewedAsync(string kubeconfig, string node)
    {
        Kubectl.Result lease = await Kubectl.RunAsync(kubeconfig, ["-n", "kube-node-lease", "get", "lease", node, "-o", "jsonpath={.spec.renewTime}"]);
        return lease.ExitCode == 0 && lease.Stdout.Trim().Length > 0 ? Parse(lease.Stdout.Trim()) : DateTime.MinValue;
    }

    private static DateTime Parse(string time) => DateTime.Parse(time, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    private static async Task<string> Ok(string kubeconfig, params string[] args)
    {
        Kubectl.Result result = await Kubectl.RunAsync(kubeconfig, args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)}: {result.Output}");
        return result.Stdout;
    }
}
