namespace Navarch.E2E.Tests;

/// <summary>
/// <c>navarch killall</c> on a node running a pod: nothing of that node is left in the kernel or the process table —
/// no Navarch, containerd, shim or container process, no mount under its data dir, no pod network namespace, bridge,
/// iptables chain, nftables table or CNI lease.
/// </summary>
[Trait("Category", "Node")]
public sealed class KillallTests
{
    [Fact]
    public async Task Killall_leaves_no_process_mount_namespace_link_chain_or_lease_behind()
    {
        var node = new NavarchNode();
        await node.InitializeAsync();
        try
        {
            string token = "killall-" + Guid.NewGuid().ToString("N")[..8];
            await node.OkAsync("run", "sleeper", "--image=busybox:1.35", "--restart=Never", "--", "sh", "-c", $"sleep 3600; echo {token}");
            await node.OkAsync("wait", "--for=condition=Ready", "pod/sleeper", "--timeout=90s");
            string netns = await NodeLeftovers.NetnsOfAsync(token);
            Assert.NotEmpty(NodeLeftovers.ProcessesWith(node.DataDir));
            Assert.True(Directory.Exists($"/sys/class/net/{node.Bridge}"));

            Kubectl.Result killall = await NavarchCli.RunAsync(["killall", "--data-dir", node.DataDir, "--bridge-name", node.Bridge, "--proxy-chain-prefix", node.ChainPrefix]);
            Assert.True(killall.ExitCode == 0, killall.Output);

            Assert.True(node.ServerExited, killall.Stdout);
            await NodeLeftovers.AssertNoneAsync(node.DataDir, node.Bridge, node.ChainPrefix, netns, token);
            Assert.Contains($"deleted the network namespace {netns}", killall.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            await node.DisposeAsync();
        }
    }
}
