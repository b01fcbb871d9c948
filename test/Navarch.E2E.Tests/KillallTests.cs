using System.Diagnostics;

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
            int container = Assert.Single(ProcessesWith(token));
            string netns = (await RunAsync("ip", "netns", "identify", container.ToString(System.Globalization.CultureInfo.InvariantCulture))).Trim();
            Assert.StartsWith("cni-", netns, StringComparison.Ordinal);
            Assert.NotEmpty(ProcessesWith(node.DataDir));
            Assert.True(Directory.Exists($"/sys/class/net/{node.Bridge}"));

            Kubectl.Result killall = await NavarchCli.RunAsync(["killall", "--data-dir", node.DataDir, "--bridge-name", node.Bridge, "--proxy-chain-prefix", node.ChainPrefix]);
            Assert.True(killall.ExitCode == 0, killall.Output);

            Assert.True(node.ServerExited, killall.Stdout);
            Assert.Empty(ProcessesWith(token));
            Assert.Empty(ProcessesWith(node.DataDir));
            Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), l => l.Split(' ')[4].StartsWith(node.DataDir + "/", StringComparison.Ordinal));
            Assert.DoesNotContain(netns, await RunAsync("ip", "netns", "list"), StringComparison.Ordinal);
            Assert.False(Directory.Exists($"/sys/class/net/{node.Bridge}"));
            Assert.DoesNotContain(":" + node.ChainPrefix, await RunAsync("iptables-save"), StringComparison.Ordinal);
            Assert.DoesNotContain(node.ChainPrefix.TrimEnd('-').ToLowerInvariant(), await RunAsync("nft", "list", "tables"), StringComparison.OrdinalIgnoreCase);
            Assert.False(Directory.Exists(Path.Combine(node.DataDir, "agent", "cni", "networks")));
            Assert.Contains($"deleted the network namespace {netns}", killall.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            await node.DisposeAsync();
        }
    }

    /// <summary>PIDs of the processes whose command line contains <paramref name="text"/>, but not this test's.</summary>
    private static List<int> ProcessesWith(string text)
    {
        var found = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                string cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                // The test's own kubectl and navarch children are done by now; a process of the node is anything else.
                if (cmdline.Contains(text, StringComparison.Ordinal) && !cmdline.StartsWith("kubectl ", StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
            }
        }

        return found;
    }

    private static async Task<string> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(info)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: {await error}");
        return output;
    }
}
