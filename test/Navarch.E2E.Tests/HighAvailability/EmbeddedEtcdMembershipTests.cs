using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Navarch.E2E.Tests.HighAvailability;

/// <summary>
/// How the embedded etcd's membership follows the servers (issue 21), on loopback servers: a joining server killed
/// while its member is still a learner is promoted when it starts again; deleting a server's Node (<c>kubectl delete
/// node</c>) removes its etcd member; and a server whose cluster lost quorum is brought back with
/// <c>--cluster-reset</c> and no snapshot as the sole member of a cluster that keeps every object, which the lost
/// server rejoins once its old member's data is moved aside.
/// </summary>
[Trait("Category", "Integration")]
[Collection(LoopbackEtcdCollection.Name)]
public sealed partial class EmbeddedEtcdMembershipTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("navarch-ha-");
    private readonly List<LoopbackServer> _servers = [];

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task LearnerPromotedOnRestartDeletedNodeLosesItsMemberAndClusterResetKeepsTheData()
    {
        LoopbackServer first = Server("127.0.0.2");
        await first.StartAsync("--cluster-init");
        string token = first.Token;
        Assert.Equal(0, (await first.KubectlAsync("create", "configmap", "kept", "--from-literal=k=v")).ExitCode);

        // A joining server lost right after its member was added as a learner, before its promotion.
        LoopbackServer second = Server("127.0.0.3", "--server", "https://127.0.0.2:6443", "--token", token);
        second.Launch();
        await Eventually(() => File.Exists(second.MemberConfig), "the second server's member is added to the cluster", TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(5));
        await second.KillAsync();
        string[] rows = await MembersAsync(first);
        Assert.Equal(2, rows.Length);
        Assert.True(rows.Count(row => Learner().IsMatch(row)) == 1, "the second member is still a learner:\n" + string.Join('\n', rows));

        await second.StartAsync();
        rows = await MembersAsync(first);
        Assert.True(rows.Length == 2 && rows.All(row => StartedVoter().IsMatch(row)), "both members are started voters:\n" + string.Join('\n', rows));
        Assert.Equal(0, (await second.KubectlAsync("create", "configmap", "through-second")).ExitCode);

        // The second server's Node (a server without an agent has none: made here) is annotated with its member by that
        // server; deleting it removes the member (done by the first server, as the second never removes itself).
        string nodeFile = Path.Combine(_root.FullName, "node.yaml");
        await File.WriteAllTextAsync(nodeFile, $"apiVersion: v1\nkind: Node\nmetadata:\n  name: {second.NodeName}\n");
        Assert.Equal(0, (await first.KubectlAsync("create", "-f", nodeFile)).ExitCode);
        string member = second.MemberName;
        await Eventually(
            async () => (await first.KubectlAsync("get", "node", second.NodeName, "-o", @"jsonpath={.metadata.annotations.etcd\.navarch\.io/node-name} {.metadata.finalizers}")).Stdout.Contains($"{member} [\"etcd.navarch.io/member-removal\"]", StringComparison.Ordinal),
            "the second server annotates its Node with its member and holds it with a finalizer",
            TimeSpan.FromSeconds(30));
        Assert.Equal("true", (await first.KubectlAsync("get", "node", second.NodeName, "-o", @"jsonpath={.metadata.labels.node-role\.kubernetes\.io/etcd}")).Stdout);

        Kubectl.Result deleted = await first.KubectlAsync("delete", "node", second.NodeName, "--wait=false");
        Assert.True(deleted.ExitCode == 0, deleted.Output);
        await Eventually(async () => (await MembersAsync(first)).Length == 1, "the deleted node's etcd member is removed", TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(member, string.Join('\n', await MembersAsync(first)), StringComparison.Ordinal);
        await Eventually(async () => (await first.KubectlAsync("get", "node", second.NodeName)).Stderr.Contains("NotFound", StringComparison.Ordinal), "the Node goes once its member has", TimeSpan.FromSeconds(30));
        await second.KillAsync();
        Assert.Equal(0, (await first.KubectlAsync("create", "configmap", "after-removal")).ExitCode);

        // A two-member cluster loses one: no quorum. The survivor started with --cluster-reset (no snapshot) is the sole
        // member of a cluster that kept its objects, and stays so when started again without the flag.
        LoopbackServer third = Server("127.0.0.4", "--server", "https://127.0.0.2:6443", "--token", token);
        await third.StartAsync();
        Assert.Equal(2, (await MembersAsync(first)).Length);
        await third.KillAsync();
        await Eventually(async () => (await first.KubectlAsync("get", "--raw", "/readyz")).ExitCode != 0, "the first server has no quorum", TimeSpan.FromSeconds(30));
        await first.KillAsync();

        await first.StartAsync("--cluster-reset");
        rows = await MembersAsync(first);
        Assert.True(rows.Length == 1 && rows[0].StartsWith(first.MemberName, StringComparison.Ordinal), string.Join('\n', rows));
        foreach (string kept in new[] { "kept", "through-second", "after-removal" })
        {
            Assert.Equal(0, (await first.KubectlAsync("get", "configmap", kept)).ExitCode);
        }

        Assert.Equal(0, (await first.KubectlAsync("create", "configmap", "after-reset")).ExitCode);
        string flag = Path.Combine(first.DataDir, "server", "db", "reset-flag");
        Assert.True(File.Exists(flag));
        await first.StopAsync();

        await first.StartAsync();
        Assert.False(File.Exists(flag));
        Assert.Single(await MembersAsync(first));
        Assert.Equal(0, (await first.KubectlAsync("get", "configmap", "after-reset")).ExitCode);

        // The lost server rejoins as a new member once its old member's data is moved aside (as k3s documents).
        Directory.Move(Path.Combine(third.DataDir, "server", "db"), Path.Combine(third.DataDir, "server", "db.old"));
        await third.StartAsync();
        rows = await MembersAsync(first);
        Assert.True(rows.Length == 2 && rows.All(row => StartedVoter().IsMatch(row)), "both members are started voters:\n" + string.Join('\n', rows));
        Assert.Equal(0, (await third.KubectlAsync("get", "configmap", "after-reset")).ExitCode);
        output.WriteLine(string.Join('\n', rows));
    }

    /// <summary>The rows of <c>navarch etcd member list</c> through <paramref name="server"/>'s member.</summary>
    private static async Task<string[]> MembersAsync(LoopbackServer server)
    {
        Kubectl.Result list = await NavarchCli.RunAsync(["etcd", "member", "list", "--data-dir", server.DataDir]);
        Assert.True(list.ExitCode == 0, list.Output);
        return list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..];
    }

    [GeneratedRegex(@"\s(un)?started\s+false\s")]
    private static partial Regex Learner();

    [GeneratedRegex(@"\sstarted\s+true\s")]
    private static partial Regex StartedVoter();

    private LoopbackServer Server(string address, params string[] flags)
    {
        var server = new LoopbackServer(address, _root, flags);
        _servers.Add(server);
        return server;
    }

    public async Task DisposeAsync()
    {
        foreach (LoopbackServer server in _servers)
        {
            await server.DisposeAsync();
        }

        _root.Delete(recursive: true);
    }
}
