using Microsoft.Extensions.Time.Testing;
using Navarch.Kubelet.Stats;

namespace Navarch.Kubelet.Tests;

/// <summary>The node's own usage (from /proc, as cAdvisor's root container) and the /metrics/resource exposition.</summary>
[Trait("Category", "Unit")]
public sealed class ResourceMetricsTests
{
    private const string Meminfo = "MemTotal:       16000000 kB\nMemFree:         4000000 kB\nMemAvailable:    9000000 kB\nInactive(file):  2000000 kB\nSwapTotal:       1000000 kB\nSwapFree:         750000 kB\nHugePages_Total:       0\n";

    private static string Stat(ulong user, ulong idle) => $"cpu  {user} 10 20 {idle} 5 1 2 3 0 0\ncpu0 {user} 10 20 {idle} 5 1 2 3 0 0\nintr 1 2 3\n";

    [Fact]
    public void The_node_reading_counts_busy_ticks_and_the_working_set_as_cadvisor_does()
    {
        // user+nice+system+irq+softirq+steal ticks of 10 ms; idle and iowait are not use.
        Assert.Equal((1000UL + 10 + 20 + 1 + 2 + 3) * 10_000_000, NodeUsageReader.CpuNanoseconds(Stat(1000, 99999)));
        Assert.Throws<FormatException>(() => NodeUsageReader.CpuNanoseconds("intr 1 2 3\n"));

        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-07T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        ulong user = 1000;
        var reader = new NodeUsageReader(time, path => path == "/proc/stat" ? Stat(user, 5000) : Meminfo);
        NodeUsageSample first = reader.Read();
        Assert.Null(first.UsageNanoCores);
        Assert.Equal((16000000UL - 4000000) * 1024, first.MemoryUsageBytes);
        Assert.Equal((16000000UL - 4000000 - 2000000) * 1024, first.WorkingSetBytes);
        Assert.Equal(6000000UL * 1024, first.AvailableBytes);
        Assert.Equal(250000UL * 1024, first.SwapUsageBytes);

        // 150 ticks (1.5 core-seconds) over two seconds: three quarters of a core.
        time.Advance(TimeSpan.FromSeconds(2));
        user += 150;
        NodeUsageSample second = reader.Read();
        Assert.Equal(750_000_000UL, second.UsageNanoCores);
        Assert.Equal(first.UsageCoreNanoSeconds + 1_500_000_000UL, second.UsageCoreNanoSeconds);

        // A reading right after keeps the last rate rather than dividing by almost nothing.
        user += 50;
        Assert.Equal(750_000_000UL, reader.Read().UsageNanoCores);
    }

    [Fact]
    public void Resource_metrics_are_the_kubelets_families_with_labels_and_timestamps()
    {
        var at = new DateTime(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
        var pod = new PodStats(
            new PodReference("web-1", "shop", "uid-1"),
            at.AddMinutes(-5),
            [new ContainerStatsSummary("nginx", at.AddMinutes(-4), new CpuStats(at, 1000, 2_500_000_000), new MemoryStats(at, null, 4096, 2048), null)],
            new CpuStats(at, 1000, 2_500_000_000),
            new MemoryStats(at, null, 4096, 2048));
        string text = ResourceMetrics.Write(new Summary(new NodeStats("n1", new CpuStats(at, 5, 90_000_000_000), new MemoryStats(at, 1, 2, 123456789), null), [pod]));
        long ms = new DateTimeOffset(at).ToUnixTimeMilliseconds();

        Assert.Contains("# HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the node in core-seconds\n# TYPE node_cpu_usage_seconds_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains($"\nnode_cpu_usage_seconds_total 90 {ms}\n", text, StringComparison.Ordinal);
        Assert.Contains($"\nnode_memory_working_set_bytes 123456789 {ms}\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("node_swap_usage_bytes", text, StringComparison.Ordinal);
        Assert.Contains($"\ncontainer_cpu_usage_seconds_total{{container=\"nginx\",namespace=\"shop\",pod=\"web-1\"}} 2.5 {ms}\n", text, StringComparison.Ordinal);
        Assert.Contains($"\ncontainer_memory_working_set_bytes{{container=\"nginx\",namespace=\"shop\",pod=\"web-1\"}} 2048 {ms}\n", text, StringComparison.Ordinal);
        Assert.Contains($"\ncontainer_start_time_seconds{{container=\"nginx\",namespace=\"shop\",pod=\"web-1\"}} {new DateTimeOffset(at.AddMinutes(-4)).ToUnixTimeSeconds()}\n", text, StringComparison.Ordinal);
        Assert.Contains($"\npod_cpu_usage_seconds_total{{namespace=\"shop\",pod=\"web-1\"}} 2.5 {ms}\n", text, StringComparison.Ordinal);
        Assert.Contains($"\npod_memory_working_set_bytes{{namespace=\"shop\",pod=\"web-1\"}} 2048 {ms}\n", text, StringComparison.Ordinal);
        Assert.Contains("\nresource_scrape_error 0\n", text, StringComparison.Ordinal);

        string failed = ResourceMetrics.Write(null);
        Assert.Contains("\nresource_scrape_error 1\n", failed, StringComparison.Ordinal);
        Assert.Contains("\nscrape_error 1\n", failed, StringComparison.Ordinal);
        Assert.DoesNotContain("node_cpu_usage_seconds_total", failed, StringComparison.Ordinal);
    }

    [Fact]
    public void Cadvisor_metrics_are_cadvisors_families_for_the_root_cgroup_and_each_container()
    {
        var at = new DateTime(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);
        long ms = new DateTimeOffset(at).ToUnixTimeMilliseconds();
        var root = new NodeUsageSample(new DateTimeOffset(at), 90_000_000_000, null, 3000, 2000, 14000, null, null);
        var machine = MachineInfo.Read(16000, path => path switch
        {
            "/proc/cpuinfo" => "processor\t: 0\nmodel name\t: x\n\nprocessor\t: 1\nmodel name\t: x\n",
            "/etc/machine-id" => "abc\n",
            "/proc/sys/kernel/random/boot_id" => "b-1\n",
            _ => null,
        });
        var web = new CadvisorContainer("/k8s.io/c1", "c1", "nginx", "shop", "web-1", "docker.io/library/nginx:1", at.AddMinutes(-4), new CpuStats(at, 1000, 2_500_000_000), new MemoryStats(at, null, 4096, 2048, 1024));
        string text = CadvisorMetrics.Write(root, machine, [web]);

        const string Labels = "container=\"nginx\",id=\"/k8s.io/c1\",image=\"docker.io/library/nginx:1\",name=\"c1\",namespace=\"shop\",pod=\"web-1\"";
        Assert.Contains("# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in seconds.\n# TYPE container_cpu_usage_seconds_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains($"\ncontainer_cpu_usage_seconds_total{{container=\"\",cpu=\"total\",id=\"/\",image=\"\",name=\"\",namespace=\"\",pod=\"\"}} 90 {ms}\n", text, StringComparison.Ordinal);
        Assert.Contains($"\ncontainer_cpu_usage_seconds_total{{container=\"nginx\",cpu=\"total\",id=\"/k8s.io/c1\",image=\"docker.io/library/nginx:1\",name=\"c1\",namespace=\"shop\",pod=\"web-1\"}} 2.5 {ms}\n", text, StringComparison.Ordinal);
        Assert.Contains($"\ncontainer_memory_working_set_bytes{{{Labels}}} 2048 {ms}\n", text, StringComparison.Ordinal);
        Assert.Contains($"\ncontainer_memory_working_set_bytes{{container=\"\",id=\"/\",image=\"\",name=\"\",namespace=\"\",pod=\"\"}} 2000 {ms}\n", text, StringComparison.Ordinal);
        Assert.Contains($"\ncontainer_memory_usage_bytes{{{Labels}}} 4096 {ms}\n", text, StringComparison.Ordinal);
        Assert.Contains($"\ncontainer_memory_rss{{{Labels}}} 1024 {ms}\n", text, StringComparison.Ordinal);
        Assert.Contains($"\ncontainer_start_time_seconds{{{Labels}}} {new DateTimeOffset(at.AddMinutes(-4)).ToUnixTimeSeconds()} {ms}\n", text, StringComparison.Ordinal);
        Assert.Contains("\nmachine_cpu_cores{boot_id=\"b-1\",machine_id=\"abc\",system_uuid=\"\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("\nmachine_memory_bytes{boot_id=\"b-1\",machine_id=\"abc\",system_uuid=\"\"} 16000\n", text, StringComparison.Ordinal);
        Assert.Contains("\ncontainer_scrape_error 0\n", text, StringComparison.Ordinal);

        string failed = CadvisorMetrics.Write(root, machine, null);
        Assert.Contains("\ncontainer_scrape_error 1\n", failed, StringComparison.Ordinal);
        Assert.DoesNotContain("pod=\"web-1\"", failed, StringComparison.Ordinal);
    }
}
