using System.Text;
using static Navarch.Kubelet.Stats.PrometheusText;

namespace Navarch.Kubelet.Stats;

/// <summary>
/// The kubelet's <c>/metrics/cadvisor</c> with cAdvisor's family names, HELP texts and labels (<c>container</c>,
/// <c>id</c>, <c>image</c>, <c>name</c>, <c>namespace</c>, <c>pod</c>; <c>cpu="total"</c> as without per-CPU usage), so
/// dashboards and alerts written for Kubernetes read it: the root cgroup <c>/</c> (the whole machine, as
/// <see cref="NodeUsageReader"/> reads it) and each container from the runtime's stats, the machine's cores and memory,
/// the containers' filesystem (<c>container_fs_*</c>) and the pods' network (<c>container_network_*</c>, on each pod's
/// sandbox as cAdvisor reports it), and <c>container_scrape_error</c> (1, with no container series, when the runtime
/// could not be read).
/// </summary>
internal static class CadvisorMetrics
{
    private const double NanosecondsPerSecond = 1e9;

    /// <summary>The exposition; <paramref name="containers"/> is null when the runtime could not be read.</summary>
    public static string Write(NodeUsageSample root, MachineInfo machine, IReadOnlyList<CadvisorContainer>? containers)
    {
        ArgumentNullException.ThrowIfNull(machine);
        var text = new StringBuilder();
        DateTime at = root.Time.UtcDateTime;
        IReadOnlyList<CadvisorContainer> all = containers ?? [];
        const string RootLabels = "container=\"\",id=\"/\",image=\"\",name=\"\",namespace=\"\",pod=\"\"";

        Family(text, "container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.",
            [Sample($"{{container=\"\",cpu=\"total\",id=\"/\",image=\"\",name=\"\",namespace=\"\",pod=\"\"}}", root.UsageCoreNanoSeconds / NanosecondsPerSecond, at),
             .. all.Where(c => c.Cpu?.UsageCoreNanoSeconds is not null).Select(c => Sample(Labels(c, cpu: true), c.Cpu!.UsageCoreNanoSeconds!.Value / NanosecondsPerSecond, c.Cpu.Time))]);
        FilesystemFamilies(text, all);
        Family(text, "container_memory_rss", "gauge", "Size of RSS in bytes.",
            [.. all.Where(c => c.Memory?.RssBytes is not null).Select(c => Sample(Labels(c), c.Memory!.RssBytes!.Value, c.Memory.Time))]);
        Family(text, "container_memory_usage_bytes", "gauge", "Current memory usage in bytes, including all memory regardless of when it was accessed",
            [Sample($"{{{RootLabels}}}", root.MemoryUsageBytes, at),
             .. all.Where(c => c.Memory?.UsageBytes is not null).Select(c => Sample(Labels(c), c.Memory!.UsageBytes!.Value, c.Memory.Time))]);
        Family(text, "container_memory_working_set_bytes", "gauge", "Current working set in bytes.",
            [Sample($"{{{RootLabels}}}", root.WorkingSetBytes, at),
             .. all.Where(c => c.Memory?.WorkingSetBytes is not null).Select(c => Sample(Labels(c), c.Memory!.WorkingSetBytes!.Value, c.Memory.Time))]);
        NetworkFamilies(text, all);
        Family(text, "container_scrape_error", "gauge", "1 if there was an error while getting container metrics, 0 otherwise",
            [containers is null ? " 1" : " 0"]);
        Family(text, "container_start_time_seconds", "gauge", "Start time of the container since unix epoch in seconds.",
            [.. all.Where(c => c.StartTime is not null).Select(c => Sample(Labels(c), (c.StartTime!.Value - DateTime.UnixEpoch).TotalSeconds, at))]);

        string machineLabels = $"{{boot_id=\"{Escape(machine.BootId)}\",machine_id=\"{Escape(machine.MachineId)}\",system_uuid=\"{Escape(machine.SystemUuid)}\"}}";
        Family(text, "machine_cpu_cores", "gauge", "Number of logical CPU cores.", [Sample(machineLabels, machine.Cores, null)]);
        Family(text, "machine_memory_bytes", "gauge", "Amount of memory installed on the machine.", [Sample(machineLabels, machine.MemoryBytes, null)]);
        return text.ToString();
    }

    /// <summary>
    /// cAdvisor's <c>container_fs_*</c>: the writable layer's usage and its filesystem's size (labelled with the device
    /// it is mounted from), and the cgroup's block I/O per device.
    /// </summary>
    private static void FilesystemFamilies(StringBuilder text, IReadOnlyList<CadvisorContainer> all)
    {
        Family(text, "container_fs_limit_bytes", "gauge", "Number of bytes that can be consumed by the container on this filesystem.",
            [.. all.Where(c => c.Filesystem is not null).Select(c => Sample(Labels(c, ("device", c.Filesystem!.Device)), c.Filesystem.LimitBytes, c.Filesystem.Time))]);
        Family(text, "container_fs_usage_bytes", "gauge", "Number of bytes that are consumed by the container on this filesystem.",
            [.. all.Where(c => c.Filesystem is not null).Select(c => Sample(Labels(c, ("device", c.Filesystem!.Device)), c.Filesystem.UsageBytes, c.Filesystem.Time))]);
        DiskIoFamily(text, all, "container_fs_reads_bytes_total", "Cumulative count of bytes read", io => io.ReadBytes);
        DiskIoFamily(text, all, "container_fs_reads_total", "Cumulative count of reads completed", io => io.Reads);
        DiskIoFamily(text, all, "container_fs_writes_bytes_total", "Cumulative count of bytes written", io => io.WriteBytes);
        DiskIoFamily(text, all, "container_fs_writes_total", "Cumulative count of writes completed", io => io.Writes);
    }

    private static void DiskIoFamily(StringBuilder text, IReadOnlyList<CadvisorContainer> all, string name, string help, Func<BlockDeviceIo, ulong> value) =>
        Family(text, name, "counter", help, [.. all.SelectMany(c => c.DiskIo.Select(io => Sample(Labels(c, ("device", io.Device)), value(io), null)))]);

    /// <summary>cAdvisor's <c>container_network_*</c> per interface, on the pod sandboxes that carry them.</summary>
    private static void NetworkFamilies(StringBuilder text, IReadOnlyList<CadvisorContainer> all)
    {
        NetworkFamily(text, all, "container_network_receive_bytes_total", "Cumulative count of bytes received", i => i.RxBytes);
        NetworkFamily(text, all, "container_network_receive_errors_total", "Cumulative count of errors encountered while receiving", i => i.RxErrors);
        NetworkFamily(text, all, "container_network_receive_packets_dropped_total", "Cumulative count of packets dropped while receiving", i => i.RxDropped);
        NetworkFamily(text, all, "container_network_receive_packets_total", "Cumulative count of packets received", i => i.RxPackets);
        NetworkFamily(text, all, "container_network_transmit_bytes_total", "Cumulative count of bytes transmitted", i => i.TxBytes);
        NetworkFamily(text, all, "container_network_transmit_errors_total", "Cumulative count of errors encountered while transmitting", i => i.TxErrors);
        NetworkFamily(text, all, "container_network_transmit_packets_dropped_total", "Cumulative count of packets dropped while transmitting", i => i.TxDropped);
        NetworkFamily(text, all, "container_network_transmit_packets_total", "Cumulative count of packets transmitted", i => i.TxPackets);
    }

    private static void NetworkFamily(StringBuilder text, IReadOnlyList<CadvisorContainer> all, string name, string help, Func<InterfaceStats, ulong> value) =>
        Family(text, name, "counter", help, [.. all.SelectMany(c => c.Network.Select(i => Sample(Labels(c, ("interface", i.Name)), value(i), null)))]);

    private static string Labels(CadvisorContainer c, bool cpu = false) => Labels(c, cpu ? ("cpu", "total") : null);

    /// <summary>The container's labels and <paramref name="extra"/>, in name order as the kubelet writes them.</summary>
    private static string Labels(CadvisorContainer c, (string Name, string Value)? extra)
    {
        List<(string Name, string Value)> labels = [("container", c.Container), ("id", c.Id), ("image", c.Image), ("name", c.Name), ("namespace", c.Namespace), ("pod", c.Pod)];
        if (extra is { } label)
        {
            labels.Add(label);
        }

        return "{" + string.Join(',', labels.OrderBy(l => l.Name, StringComparer.Ordinal).Select(l => $"{l.Name}=\"{Escape(l.Value)}\"")) + "}";
    }
}
