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
        Assert.Equal(["cgroups", "iptables", "iptables-restore", "net.ipv4.ip_forward", "br_netfilter", "nft", "containerd", "runc", "cni-plugins", "kubectl", "ip", "mount", "conntrack", "ctr", "modprobe", "iptables-mode", "swap", "cluster-cidr", "service-cidr"], outcomes.Select(o => o.Name));
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

    private const string RouteHeader = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

    [Fact]
    public void Missing_tools_fail_or_warn_by_need()
    {
        Write("/proc/mounts", "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n");
        WriteComplete();
        foreach (string binary in new[] { "/usr/bin/ip", "/usr/sbin/conntrack", "/usr/bin/ctr" })
        {
            File.Delete(Path.Combine(_root.FullName, binary.TrimStart('/')));
        }

        IReadOnlyList<CheckOutcome> outcomes = Run();
        Assert.Equal("FAIL  ip: not found in PATH (fix: apt-get install iproute2)", Find(outcomes, "ip").ToString());
        Assert.Equal(CheckStatus.Fail, Find(outcomes, "conntrack").Status);
        Assert.Equal(CheckStatus.Warn, Find(outcomes, "ctr").Status);
        Assert.Equal(CheckStatus.Pass, Find(outcomes, "mount").Status);
    }

    [Fact]
    public void Swap_in_use_is_a_warning_with_its_size()
    {
        Assert.Equal((0, 0L), HostChecks.ParseSwaps("Filename\tType\tSize\tUsed\tPriority\n"));
        Assert.Equal((2, 3145728L), HostChecks.ParseSwaps("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/sda2  partition\t2097152\t0\t-2\n/swapfile  file  1048576  0  -3\n"));

        WriteComplete();
        Write("/proc/mounts", "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n");
        Write("/proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/swapfile file 1048576 0 -2\n");
        Assert.Equal("WARN  swap: on (1 device(s), 1024 MiB): pods' memory limits do not bound their use (fix: swapoff -a, and remove swap from /etc/fstab)", Find(Run(), "swap").ToString());
    }

    [Fact]
    public void Iptables_flavour_is_told_by_its_links()
    {
        WriteComplete();
        Write("/proc/mounts", "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n");
        Assert.Equal("PASS  iptables-mode: nf_tables (iptables -> iptables -> iptables-nft -> xtables-nft-multi)", Find(Run(), "iptables-mode").ToString());

        Write("/proc/net/ip_tables_names", "filter\nnat\n");
        Assert.Equal(CheckStatus.Warn, Find(Run(), "iptables-mode").Status);

        File.Delete(Path.Combine(_root.FullName, "etc/alternatives/iptables"));
        Link("/etc/alternatives/iptables", "/usr/sbin/iptables-legacy");
        Write("/usr/sbin/iptables-legacy", "");
        Assert.Equal("PASS  iptables-mode: legacy (iptables -> iptables -> iptables-legacy)", Find(Run(), "iptables-mode").ToString());
    }

    [Fact]
    public void Routes_parse_from_the_kernels_little_endian_words()
    {
        IReadOnlyList<HostRoute> routes = HostRoute.Parse(RouteHeader + "eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\nnavarch0\t00002A0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
        Assert.Equal([new HostRoute("eth0", System.Net.IPNetwork.Parse("0.0.0.0/0"), true), new HostRoute("navarch0", System.Net.IPNetwork.Parse("10.42.0.0/24"), false)], routes);
        Assert.False(routes[0].Overlaps(System.Net.IPNetwork.Parse("10.42.0.0/16")));
        Assert.True(routes[1].Overlaps(System.Net.IPNetwork.Parse("10.42.0.0/16")));
        Assert.True(routes[1].Overlaps(System.Net.IPNetwork.Parse("10.0.0.0/8")));
        Assert.False(routes[1].Overlaps(System.Net.IPNetwork.Parse("10.43.0.0/16")));
    }

    [Fact]
    public void Routes_into_the_cluster_or_service_CIDR_fail_but_the_nodes_own_do_not()
    {
        WriteComplete();
        Write("/proc/mounts", "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n");
        // Its bridge's 10.42.0.0/24 and another node's 10.42.1.0/24 via 192.168.0.12 are the node's own; a VPN's
        // 10.43.0.0/16 on tun0 shadows every ClusterIP.
        Write("/proc/net/route", RouteHeader
            + "navarch0\t00002A0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
            + "eth0\t00012A0A\t0C00A8C0\t0003\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
            + "tun0\t00002B0A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n");
        IReadOnlyList<CheckOutcome> outcomes = Run();
        Assert.Equal(CheckStatus.Pass, Find(outcomes, "cluster-cidr").Status);
        Assert.Equal("FAIL  service-cidr: 10.43.0.0/16 overlaps the route(s) 10.43.0.0/16 dev tun0 (fix: choose another --service-cidr)", Find(outcomes, "service-cidr").ToString());

        // A LAN inside the pod network, on another interface, is not the node's.
        Write("/proc/net/route", RouteHeader + "eth1\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n");
        CheckOutcome cluster = Find(Run(), "cluster-cidr");
        Assert.Equal(CheckStatus.Fail, cluster.Status);
        Assert.Contains("10.0.0.0/8 dev eth1", cluster.Detail, StringComparison.Ordinal);
    }

    private IReadOnlyList<CheckOutcome> Run() => new HostChecks(_root.FullName, ["/usr/bin", "/usr/sbin"]).Run();

    private static CheckOutcome Find(IReadOnlyList<CheckOutcome> outcomes, string name) => outcomes.Single(o => o.Name == name);

    private void WriteComplete()
    {
        Write("/proc/sys/net/ipv4/ip_forward", "1\n");
        Write("/proc/sys/net/bridge/bridge-nf-call-iptables", "1\n");
        foreach (string binary in new[] { "/usr/sbin/xtables-nft-multi", "/usr/sbin/iptables-restore", "/usr/sbin/nft", "/usr/bin/containerd", "/usr/sbin/runc", "/usr/bin/kubectl", "/usr/bin/ip", "/usr/bin/mount", "/usr/sbin/conntrack", "/usr/bin/ctr", "/usr/sbin/modprobe" })
        {
            Write(binary, "");
        }

        // Debian's alternatives: iptables -> /etc/alternatives/iptables -> iptables-nft -> xtables-nft-multi.
        Link("/usr/sbin/iptables", "/etc/alternatives/iptables");
        Link("/etc/alternatives/iptables", "/usr/sbin/iptables-nft");
        Link("/usr/sbin/iptables-nft", "xtables-nft-multi");
        Write("/proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
        Write("/proc/net/route", RouteHeader + "eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\neth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");

        foreach (string plugin in HostChecks.CniPlugins)
        {
            Write("/usr/lib/cni/" + plugin, "");
        }
    }

    private void Link(string path, string target)
    {
        string full = Path.Combine(_root.FullName, path.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.CreateSymbolicLink(full, target);
    }

    private void Write(string path, string text)
    {
        string full = Path.Combine(_root.FullName, path.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }
}
