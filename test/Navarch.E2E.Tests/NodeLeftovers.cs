using System.Diagnostics;

namespace Navarch.E2E.Tests;

/// <summary>What a node leaves in the kernel and the process table, checked after <c>navarch killall</c>.</summary>
internal static class NodeLeftovers
{
    /// <summary>The pod network namespace of the one container whose command line holds <paramref name="token"/>.</summary>
    public static async Task<string> NetnsOfAsync(string token)
    {
        int container = Assert.Single(ProcessesWith(token));
        string netns = (await RunAsync("ip", "netns", "identify", container.ToString(System.Globalization.CultureInfo.InvariantCulture))).Trim();
        Assert.StartsWith("cni-", netns, StringComparison.Ordinal);
        return netns;
    }

    /// <summary>
    /// No process of the node (its container by <paramref name="token"/>, anything naming its data dir), no mount under
    /// the data dir, no pod network namespace <paramref name="netns"/>, bridge, iptables chain, nftables table or CNI lease.
    /// </summary>
    public static async Task AssertNoneAsync(string dataDir, string bridge, string chainPrefix, string netns, string token)
    {
        Assert.Empty(ProcessesWith(token));
        Assert.Empty(ProcessesWith(dataDir));
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), l => l.Split(' ')[4].StartsWith(dataDir + "/", StringComparison.Ordinal));
        Assert.DoesNotContain(netns, await RunAsync("ip", "netns", "list"), StringComparison.Ordinal);
        Assert.False(Directory.Exists($"/sys/class/net/{bridge}"));
        Assert.DoesNotContain(":" + chainPrefix, await RunAsync("iptables-save"), StringComparison.Ordinal);
        Assert.DoesNotContain(chainPrefix.TrimEnd('-').ToLowerInvariant(), await RunAsync("nft", "list", "tables"), StringComparison.OrdinalIgnoreCase);
        Assert.False(Directory.Exists(Path.Combine(dataDir, "agent", "cni", "networks")));
    }

    /// <summary>PIDs of the processes whose command line contains <paramref name="text"/>, but not this test's.</summary>
    public static List<int> ProcessesWith(string text)
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

    public static async Task<string> RunAsync(string file, params string[] args)
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
