using System.Text;
using static Navarch.Kubelet.Stats.PrometheusText;

namespace Navarch.Kubelet.Stats;

/// <summary>
/// The kubelet's <c>/metrics/resource</c> — what metrics-server scrapes — written from a <see cref="Summary"/> as the
/// kubelet's resource metrics collector writes it: the node's, each container's and each pod's cumulative CPU seconds
/// and working set, each sample stamped with the time it was read, each container's start time, and
/// <c>scrape_error</c>/<c>resource_scrape_error</c> (1 when the runtime could not be read, and then nothing else).
/// </summary>
internal static class ResourceMetrics
{
    private const double NanosecondsPerSecond = 1e9;

    /// <summary>The exposition (Prometheus text format 0.0.4) of <paramref name="summary"/>, or of a failed read when null.</summary>
    public static string Write(Summary? summary)
    {
        var text = new StringBuilder();
        if (summary is not null)
        {
            NodeStats node = summary.Node;
            Family(text, "node_cpu_usage_seconds_total", "counter", "[STABLE] Cumulative cpu time consumed by the node in core-seconds",
                node.Cpu is { UsageCoreNanoSeconds: { } nodeCpu } ? [Sample("", nodeCpu / NanosecondsPerSecond, node.Cpu.Time)] : []);
            Family(text, "node_memory_working_set_bytes", "gauge", "[STABLE] Current working set of the node in bytes",
                node.Memory is { WorkingSetBytes: { } nodeMemory } ? [Sample("", nodeMemory, node.Memory.Time)] : []);
            Family(text, "node_swap_usage_bytes", "gauge", "[ALPHA] Current swap usage of the node in bytes. Reported only on non-windows systems",
                node.Swap is { SwapUsageBytes: { } nodeSwap } ? [Sample("", nodeSwap, node.Swap.Time)] : []);

            var containers = summary.Pods.SelectMany(p => p.Containers.Select(c => (Pod: p, Container: c))).ToList();
            Family(text, "container_start_time_seconds", "gauge", "[STABLE] Start time of the container since unix epoch in seconds",
                [.. containers.Where(x => x.Container.StartTime is not null).Select(x => Sample(ContainerLabels(x.Pod, x.Container), (x.Container.StartTime!.Value - DateTime.UnixEpoch).TotalSeconds, null))]);
            Family(text, "container_cpu_usage_seconds_total", "counter", "[STABLE] Cumulative cpu time consumed by the container in core-seconds",
                [.. containers.Where(x => x.Container.Cpu?.UsageCoreNanoSeconds is not null).Select(x => Sample(ContainerLabels(x.Pod, x.Container), x.Container.Cpu!.UsageCoreNanoSeconds!.Value / NanosecondsPerSecond, x.Container.Cpu.Time))]);
            Family(text, "container_memory_working_set_bytes", "gauge", "[STABLE] Current working set of the container in bytes",
                [.. containers.Where(x => x.Container.Memory?.WorkingSetBytes is not null).Select(x => Sample(ContainerLabels(x.Pod, x.Container), x.Container.Memory!.WorkingSetBytes!.Value, x.Container.Memory.Time))]);
            Family(text, "pod_cpu_usage_seconds_total", "counter", "[STABLE] Cumulative cpu time consumed by the pod in core-seconds",
                [.. summary.Pods.Where(p => p.Cpu?.UsageCoreNanoSeconds is not null).Select(p => Sample(PodLabels(p), p.Cpu!.UsageCoreNanoSeconds!.Value / NanosecondsPerSecond, p.Cpu.Time))]);
            Family(text, "pod_memory_working_set_bytes", "gauge", "[STABLE] Current working set of the pod in bytes",
                [.. summary.Pods.Where(p => p.Memory?.WorkingSetBytes is not null).Select(p => Sample(PodLabels(p), p.Memory!.WorkingSetBytes!.Value, p.Memory.Time))]);
        }

        string error = summary is null ? "1" : "0";
        Family(text, "resource_scrape_error", "gauge", "[STABLE] 1 if there was an error while getting container metrics, 0 otherwise", [$" {error}"]);
        Family(text, "scrape_error", "gauge", "[ALPHA] (Deprecated since 1.29.0) 1 if there was an error while getting container metrics, 0 otherwise", [$" {error}"]);
        return text.ToString();
    }

    private static string ContainerLabels(PodStats pod, ContainerStatsSummary container) =>
        $"{{container=\"{Escape(container.Name)}\",namespace=\"{Escape(pod.PodRef.Namespace)}\",pod=\"{Escape(pod.PodRef.Name)}\"}}";

    private static string PodLabels(PodStats pod) => $"{{namespace=\"{Escape(pod.PodRef.Namespace)}\",pod=\"{Escape(pod.PodRef.Name)}\"}}";
}
