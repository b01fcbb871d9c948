using System.Diagnostics;
using System.Globalization;
using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer;
using Navarch.Storage;
using Navarch.Storage.Sqlite;
using Navarch.Testing;
using Xunit.Abstractions;

namespace Navarch.E2E.Tests;

/// <summary>
/// A real <c>navarch agent</c> given two API servers that share one store and one cluster PKI: started before either
/// server, it joins once one appears; when the server it uses stops, its load balancer moves it to the other and the
/// Node stays Ready with its lease renewed — the time it takes is printed.
/// </summary>
public sealed class AgentLoadBalancerTests(ITestOutputHelper output)
{
    [Trait("Category", "Node")]
    [Fact]
    public async Task An_agent_started_before_its_servers_joins_when_one_appears_and_keeps_its_node_through_the_loss_of_the_one_it_uses()
    {
        DirectoryInfo root = Directory.CreateTempSubdirectory("navarch-agent-lb-");
        string dirA = Path.Combine(root.FullName, "a");
        string dirB = Path.Combine(root.FullName, "b");
        string agentDir = Path.Combine(root.FullName, "agent");
        int portA = FreePort.Next();
        int portB = FreePort.Next();
        string node = "lb-" + Guid.NewGuid().ToString("N")[..8];
        IStore store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(dirA, "server", "db", "state.db"), LoggerFactory = NullLoggerFactory.Instance });
        ApiServer.ApiServer? a = null;
        ApiServer.ApiServer? b = null;
        NavarchCli? agent = null;
        try
        {
            // A first start makes the cluster's CA and join token (the agent is given the token before any server runs);
            // the second server gets the same PKI, as a joined server would.
            a = await StartServerAsync(store, dirA, portA);
            await a.DisposeAsync();
            a = null;
            string token = (await File.ReadAllTextAsync(Path.Combine(dirA, "server", "token"))).Trim();
            CopyPki(Path.Combine(dirA, "server"), Path.Combine(dirB, "server"));

            agent = NavarchCli.Start([
                "agent", "--server", $"https://127.0.0.1:{portA}", "--server", $"https://127.0.0.1:{portB}", "--token", token,
                "--node-name", node, "--data-dir", agentDir, "--bridge-name", JoinTests.BridgeOf(node), "--disable-kube-proxy", "--disable-network-policy",
                "--port", FreePort.Next().ToString(CultureInfo.InvariantCulture), "--lb-server-port", "0"]);
            NavarchCli running = agent;
            await Eventually(() => running.Stdout.Contains("Waiting for a server to join", StringComparison.Ordinal) || running.HasExited, "the agent to wait for a server", TimeSpan.FromSeconds(60), detail: () => running.Stdout + running.Stderr);
            Assert.False(agent.HasExited, agent.Stderr);

            // Server A appears: the agent joins through it and its node runs and is Ready.
            a = await StartServerAsync(store, dirA, portA);
            using var clientA = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(a.AdminKubeconfigPath));
            await Eventually(() => running.Stdout.Contains($"Kubelet of node {node} running", StringComparison.Ordinal) || running.HasExited, "the kubelet to run", TimeSpan.FromSeconds(120), detail: () => running.Stdout + running.Stderr);
            Assert.False(agent.HasExited, agent.Stderr);
            await Eventually(async () => IsReady(await clientA.CoreV1.ReadNodeAsync(node)), "the node to be Ready", TimeSpan.FromSeconds(60));
            Assert.Contains($"connects to server 127.0.0.1:{portA}", agent.Stdout, StringComparison.Ordinal);

            // Server B starts; then A, the server the agent uses, stops.
            b = await StartServerAsync(store, dirB, portB);
            using var clientB = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(b.AdminKubeconfigPath));
            await Task.Delay(TimeSpan.FromSeconds(2));
            DateTime stoppedAt = DateTime.UtcNow;
            var clock = Stopwatch.StartNew();
            await a.DisposeAsync();
            a = null;
            output.WriteLine($"server A stopped in {clock.ElapsedMilliseconds} ms");

            await Eventually(() => running.Stdout.Contains($"connects to server 127.0.0.1:{portB}", StringComparison.Ordinal), "the agent's balancer to move to server B", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50), detail: () => running.Stdout);
            long switched = clock.ElapsedMilliseconds;
            await Eventually(
                async () => (await clientB.CoordinationV1.ReadNamespacedLeaseAsync(node, "kube-node-lease")).Spec.RenewTime > stoppedAt,
                "the node's lease to be renewed through server B", TimeSpan.FromSeconds(40), TimeSpan.FromMilliseconds(100));
            long renewed = clock.ElapsedMilliseconds;
            await Eventually(
                async () => (await clientB.CoreV1.ReadNodeAsync(node)).Status.Conditions.Single(c => c.Type == "Ready").LastHeartbeatTime > stoppedAt,
                "the node's status to be posted through server B", TimeSpan.FromSeconds(40), TimeSpan.FromMilliseconds(100));
            long posted = clock.ElapsedMilliseconds;
            output.WriteLine($"after server A stopped: the balancer dialled B at {switched} ms, the node lease was renewed at {renewed} ms (renew interval 10 s), the node status posted at {posted} ms");
            Assert.True(IsReady(await clientB.CoreV1.ReadNodeAsync(node)));
            Assert.False(agent.HasExited, agent.Stderr);

            // The agent keeps the list for its next start.
            string kept = await File.ReadAllTextAsync(Path.Combine(agentDir, "agent", "etc", "navarch-agent-load-balancer.json"));
            Assert.Contains($"127.0.0.1:{portA}", kept, StringComparison.Ordinal);
            Assert.Contains($"127.0.0.1:{portB}", kept, StringComparison.Ordinal);

            int exit = await agent.StopAsync();
            Assert.True(exit == 0, $"agent exit code {exit}: {agent.Stderr}");
        }
        finally
        {
            if (agent is not null)
            {
                await agent.DisposeAsync();
            }

            await TestProcesses.TearDownAsync(agentDir, JoinTests.BridgeOf(node));
            if (a is not null)
            {
                await a.DisposeAsync();
            }

            if (b is not null)
            {
                await b.DisposeAsync();
            }

            await store.DisposeAsync();
            root.Delete(recursive: true);
        }
    }

    private static bool IsReady(V1Node node) => node.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    private static async Task<ApiServer.ApiServer> StartServerAsync(IStore store, string dataDir, int port)
    {
        var server = new ApiServer.ApiServer(store, new ApiServerOptions { DataDir = dataDir, Port = port, BindAddress = IPAddress.Loopback, AuthorizationMode = "AlwaysAllow" }, NullLoggerFactory.Instance);
        try
        {
            await server.StartAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Everything of a server's data dir but its database: the CA, the service account keys, the token, the credentials.</summary>
    private static void CopyPki(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(from, file);
            if (relative.StartsWith("db", StringComparison.Ordinal))
            {
                continue;
            }

            string target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
