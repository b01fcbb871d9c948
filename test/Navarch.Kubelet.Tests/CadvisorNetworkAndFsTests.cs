using Navarch.Kubelet.Stats;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// cAdvisor's network and filesystem families on <c>/metrics/cadvisor</c>: the readings they come from
/// (<c>/proc/&lt;pid&gt;/net/dev</c>, cgroup v2 <c>io.stat</c> and v1 <c>blkio.throttle.*</c>, mountinfo, containerd's
/// sandbox info) and the samples with cAdvisor's names, HELP texts and labels.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CadvisorNetworkAndFsTests
{
    private const string NetDevText = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo:     140       2    0    0    0     0          0         0      140       2    0    0    0     0       0          0
          eth0:    9486      71    1    2    0     0          0         0     1650      21    3    4    0     0       0          0
        """;

    [Fact]
    public void Net_dev_gives_each_interface_but_loopback()
    {
        InterfaceStats eth0 = Assert.Single(NetDev.Parse(NetDevText));
        Assert.Equal(new InterfaceStats("eth0", 9486, 71, 1, 2, 1650, 21, 3, 4), eth0);
    }

    [Fact]
    public void Io_stat_and_blkio_give_bytes_and_operations_per_device()
    {
        static string Name(string major, string minor) => major == "8" ? "/dev/sda" : $"{major}:{minor}";

        Assert.Equal(
            new[] { new BlockDeviceIo("/dev/sda", 4096, 2_097_152, 1, 16), new BlockDeviceIo("253:1", 0, 512, 0, 1) },
            CgroupBlockIo.ParseIoStat("8:0 rbytes=4096 wbytes=2097152 rios=1 wios=16 dbytes=0 dios=0\n253:1 rbytes=0 wbytes=512 rios=0 wios=1 dbytes=0 dios=0\n", Name));
        Assert.Equal(
            new[] { new BlockDeviceIo("/dev/sda", 4096, 2_097_152, 1, 16) },
            CgroupBlockIo.ParseBlkio(
                "8:0 Read 4096\n8:0 Write 2097152\n8:0 Sync 2101248\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 2101248\nTotal 2101248\n",
                "8:0 Read 1\n8:0 Write 16\n8:0 Sync 17\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 17\nTotal 17\n",
                Name));
        Assert.Empty(CgroupBlockIo.Read("/k8s.io/none", _ => null));
    }

    [Fact]
    public void The_device_is_the_source_of_the_deepest_mount_above_the_path()
    {
        const string Mountinfo = """
            22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
            40 22 0:35 / /var/lib/navarch rw,relatime shared:20 - xfs /dev/vdb rw
            41 22 0:36 / /var/lib/navarch-other rw,relatime shared:21 - tmpfs tmpfs rw
            """;
        Assert.Equal("/dev/vdb", MountDevice.Of("/var/lib/navarch/agent/containerd/snapshots", Mountinfo));
        Assert.Equal("/dev/sda1", MountDevice.Of("/var/lib/other", Mountinfo));
    }

    [Fact]
    public void Containerd_sandbox_info_gives_the_pause_pid_and_image()
    {
        Assert.Equal(new SandboxInfo(4242, "registry.k8s.io/pause:3.10"), SandboxInfo.Parse("""{"pid":4242,"processStatus":"running","image":"registry.k8s.io/pause:3.10","runtimeSpec":{}}"""));
        Assert.Null(SandboxInfo.Parse(null));
        Assert.Null(SandboxInfo.Parse("{\"image\":\"x\"}"));
        Assert.Null(SandboxInfo.Parse("not json"));
    }

    [Fact]
    public void The_families_carry_cadvisors_names_and_labels()
    {
        var at = new DateTime(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
        long ms = new DateTimeOffset(at).ToUnixTimeMilliseconds();
        var root = new NodeUsageSample(new DateTimeOffset(at), 90_000_000_000, null, 3000, 2000, 14000, null, null);
        var machine = MachineInfo.Read(16000, _ => null);
        var web = new CadvisorContainer("/k8s.io/c1", "c1", "nginx", "shop", "web-1", "nginx:1", null, null, null)
        {
            Filesystem = new CadvisorFilesystem("/dev/vdb", 1_048_576, 10_737_418_240, at),
            DiskIo = [new BlockDeviceIo("/dev/vdb", 4096, 2_097_152, 1, 16)],
        };
        var sandbox = new CadvisorContainer("/k8s.io/s1", "s1", "", "shop", "web-1", "registry.k8s.io/pause:3.10", null, null, null)
        {
            Network = NetDev.Parse(NetDevText),
        };

        string text = CadvisorMetrics.Write(root, machine, [web, sandbox]);

        const string Web = "container=\"nginx\",device=\"/dev/vdb\",id=\"/k8s.io/c1\",image=\"nginx:1\",name=\"c1\",namespace=\"shop\",pod=\"web-1\"";
        Assert.Contains($"# HELP container_fs_usage_bytes Number of bytes that are consumed by the container on this filesystem.\n# TYPE container_fs_usage_bytes gauge\ncontainer_fs_usage_bytes{{{Web}}} 1048576 {ms}\n", text, StringComparison.Ordinal);
        Assert.Contains($"# TYPE container_fs_limit_bytes gauge\ncontainer_fs_limit_bytes{{{Web}}} 10737418240 {ms}\n", text, StringComparison.Ordinal);
        Assert.Contains($"# HELP container_fs_reads_bytes_total Cumulative count of bytes read\n# TYPE container_fs_reads_bytes_total counter\ncontainer_fs_reads_bytes_total{{{Web}}} 4096\n", text, StringComparison.Ordinal);
        Assert.Contains($"\ncontainer_fs_writes_bytes_total{{{Web}}} 2097152\n", text, StringComparison.Ordinal);
        Assert.Contains($"\ncontainer_fs_reads_total{{{Web}}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"# HELP container_fs_writes_total Cumulative count of writes completed\n# TYPE container_fs_writes_total counter\ncontainer_fs_writes_total{{{Web}}} 16\n", text, StringComparison.Ordinal);

        const string Pod = "container=\"\",id=\"/k8s.io/s1\",image=\"registry.k8s.io/pause:3.10\",interface=\"eth0\",name=\"s1\",namespace=\"shop\",pod=\"web-1\"";
        Assert.Contains($"# HELP container_network_receive_bytes_total Cumulative count of bytes received\n# TYPE container_network_receive_bytes_total counter\ncontainer_network_receive_bytes_total{{{Pod}}} 9486\n", text, StringComparison.Ordinal);
        Assert.Contains($"\ncontainer_network_receive_packets_total{{{Pod}}} 71\n", text, StringComparison.Ordinal);
        Assert.Contains($"\ncontainer_network_receive_errors_total{{{Pod}}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"\ncontainer_network_receive_packets_dropped_total{{{Pod}}} 2\n", text, StringComparison.Ordinal);
        Assert.Contains($"\ncontainer_network_transmit_bytes_total{{{Pod}}} 1650\n", text, StringComparison.Ordinal);
        Assert.Contains($"\ncontainer_network_transmit_packets_total{{{Pod}}} 21\n", text, StringComparison.Ordinal);
        Assert.Contains($"\ncontainer_network_transmit_errors_total{{{Pod}}} 3\n", text, StringComparison.Ordinal);
        Assert.Contains($"# HELP container_network_transmit_packets_dropped_total Cumulative count of packets dropped while transmitting\n# TYPE container_network_transmit_packets_dropped_total counter\ncontainer_network_transmit_packets_dropped_total{{{Pod}}} 4\n", text, StringComparison.Ordinal);

        // The sandbox has no CPU or memory of its own here, and the container no network.
        Assert.DoesNotContain("id=\"/k8s.io/s1\",image=\"registry.k8s.io/pause:3.10\",name=\"s1\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("container=\"nginx\",id=\"/k8s.io/c1\",image=\"nginx:1\",interface", text, StringComparison.Ordinal);
    }
}
