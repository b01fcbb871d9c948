using System.Text;
using static Navarch.Kubelet.Stats.PrometheusText;

namespace Navarch.Kubelet.Stats;

/// <summary>
/// The kubelet's <c>/metrics/cadvisor</c> with cAdvisor's family names, HELP texts and labels (<c>container</c>,
/// <c>id</c>, <c>image</c>, <c>name</c>, <c>namespace</c>, <c>pod</c>; <c>cpu="total"</c> as without per-CPU usage), so
/// dashboards and alerts written for Kubernetes read it: the root cgroup <c>/</c> (the whole machine, as
/// <see cref="NodeUsageReader"/> reads it) and each container from the runtime's stats, the machine's cores and memory,
/// and <c>container_scrape_error</c> (1, with no container series, when the runtime could not be read).
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
        Family(text, "container_memory_rss", "gauge", "Size of RSS in bytes.",
            [.. all.Where(c => c.Memory?.RssBytes is not null).Select(c => Sample(Labels(c), c.Memory!.RssBytes!.Value, c.Memory.Time))]);
        Family(text, "container_memory_usage_bytes", "gauge", "Current memory usage in bytes, including all memory regardless of when it was accessed",
            [Sample($"{{{RootLabels}}}", root.MemoryUsageBytes, at),
             .. all.Where(c => c.Memory?.UsageBytes is not null).Select(c => Sample(Labels(c), c.Memory!.UsageBytes!.Value, c.Memory.Time))]);
        Family(text, "container_memory_working_set_bytes", "gauge", "Current working set in bytes.",
            [Sample($"{{{RootLabels}}}", root.WorkingSetBytes, at),
             .. all.Where(c => c.Memory?.WorkingSetBytes is not null).Select(c => Sample(Labels(c), c.Memory!.WorkingSetBytes!.Value, c.Memory.Time))]);
        Family(text, "container_scrape_error", "gauge", "1 if there was an error while getting container metrics, 0 otherwise",
            [containers is null ? " 1" : " 0"]);
        Family(text, "container_start_time_seconds", "gauge", "Start time of the container since unix epoch in seconds.",
            [.. all.Where(c => c.StartTime is not null).Select(c => Sample(Labels(c), (c.StartTime!.Value - DateTime.UnixEpoch).TotalSeconds, at))]);

        string machineLabels = $"{{boot_id=\"{Escape(machine.BootId)}\",machine_id=\"{Escape(machine.MachineId)}\",system_uuid=\"{Escape(machine.SystemUuid)}\"}}";
        Family(text, "machine_cpu_cores", "gauge", "Number of logical CPU cores.", [Sample(machineLabels, machine.Cores, null)]);
        Family(text, "machine_memory_bytes", "gauge", "Amount of memory installed on the machine.", [Sample(machineLabels, machine.MemoryBytes, null)]);
        return text.ToString();
    }

    private static string Labels(CadvisorContainer c, bool cpu = false) =>
        $"{{container=\"{Escape(c.Container)}\",{(cpu ? "cpu=\"total\"," : "")}id=\"{Escape(c.Id)}\",image=\"{Escape(c.Image)}\",name=\"{Escape(c.Name)}\",namespace=\"{Escape(c.Namespace)}\",pod=\"{Escape(c.Pod)}\"}}";
}
