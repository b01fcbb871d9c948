using Navarch.Commands.CheckConfig;

namespace Navarch.Cli.Tests;

/// <summary>check-config's checks against fake host trees (files under a temporary root).</summary>
[Trait("Category", "Unit")]
public sealed class HostChecksTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("navarch-host-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void A_complete_hybrid_host_passes_every_check()
    {
        Write("/proc/mounts", "cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n");
        WriteComplete();
        IReadOnlyList<CheckOutcome> outcomes = Run();
        Assert.All(outcomes, o => Assert.Equal(CheckStatus.Pass, o.Status));
        Assert.Contains("hybrid", Find(outcomes, "cgroups").Detail, StringComparison.Ordinal);
        Assert.Equal(["cgroups", "iptables", "iptables-restore", "net.ipv4.ip_forward", "br_netfilter", "nft", "containerd", "runc", "cni-plugins", "kubectl"], outcomes.Select(o => o.Name));
    }

    [Fact]
    public void Cgroup_v2_needs_memory_in_the_controllers()
    {
        Write("/proc/mounts", "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n");
        Write("/sys/fs/cgroup/cgroup.controllers", "cpu io pids");
        WriteComplete();
        CheckOutcome cgroups = Find(Run(), "cgroups");
        Assert.Equal(CheckStatus.Fail, cgroups.Status);
        Assert.Contains("v2, but no memory controller", cgroups.ToString(), StringComparison.Ordinal);
        Assert.Contains("fix:", cgroups.ToString(), StringComparison.Ordinal);

        Write("/sys/fs/cgroup/cgroup.controllers", "cpu io memory pids");
        Assert.Equal(CheckStatus.Pass, Find(Run(), "cgroups").Status);
    }

    [Fact]
    public void Missing_pieces_fail_with_their_fix_and_kubectl_only_warns()
    {
        Write("/proc/mounts", "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n");
        Write("/proc/sys/net/ipv4/ip_forward", "0\n");
        Write("/usr/lib/cni/bridge", "");
        IReadOnlyList<CheckOutcome> outcomes = Run();
        Assert.Equal(CheckStatus.Fail, Find(outcomes, "cgroups").Status);
        Assert.Equal("FAIL  net.ipv4.ip_forward: 0 (fix: sysctl -w net.ipv4.ip_forward=1)", Find(outcomes, "net.ipv4.ip_forward").ToString());
        Assert.Contains("modprobe br_netfilter", Find(outcomes, "br_netfilter").ToString(), StringComparison.Ordinal);
        Assert.Contains("host-local, portmap, loopback", Find(outcomes, "cni-plugins").Detail, StringComparison.Ordinal);
        Assert.Equal(CheckStatus.Fail, Find(outcomes, "runc").Status);
        Assert.Equal(CheckStatus.Warn, Find(outcomes, "kubectl").Status);
    }

    private IReadOnlyList<CheckOutcome> Run() => new HostChecks(_root.FullName, ["/usr/bin", "/usr/sbin"]).Run();

    private static CheckOutcome Find(IReadOnlyList<CheckOutcome> outcomes, string name) => outcomes.Single(o => o.Name == name);

    private void WriteComplete()
    {
        Write("/proc/sys/net/ipv4/ip_forward", "1\n");
        Write("/proc/sys/net/bridge/bridge-nf-call-iptables", "1\n");
        foreach (string binary in new[] { "/usr/sbin/iptables", "/usr/sbin/iptables-restore", "/usr/sbin/nft", "/usr/bin/containerd", "/usr/sbin/runc", "/usr/bin/kubectl" })
        {
            Write(binary, "");
        }

        foreach (string plugin in HostChecks.CniPlugins)
        {
            Write("/usr/lib/cni/" + plugin, "");
        }
    }

    private void Write(string path, string text)
    {
        string full = Path.Combine(_root.FullName, path.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }
}
