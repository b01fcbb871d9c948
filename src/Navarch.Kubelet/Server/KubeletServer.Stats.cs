using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Pods;

namespace Navarch.Kubelet.Server;

public sealed partial class KubeletServer
{
    /// <summary>
    /// <c>/stats/summary</c> (the kubelet's stats/v1alpha1 Summary) from the runtime's CRI container stats: per pod its
    /// containers' CPU and memory, the pod as their sum, and the node as the sum of its pods.
    /// </summary>
    private async Task<object> StatsSummaryAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<ContainerStats> stats = await _runtimeService.ListContainerStatsAsync(new ContainerStatsFilter(), cancellationToken).ConfigureAwait(false);
        string now = Time(_time.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000);
        var pods = stats
            .Where(s => s.Attributes?.Labels.ContainsKey(CriLabels.PodUid) == true)
            .GroupBy(s => s.Attributes.Labels[CriLabels.PodUid], StringComparer.Ordinal)
            .Select(g =>
            {
                var labels = g.First().Attributes.Labels;
                var containers = g.Select(s => new
                {
                    name = s.Attributes.Metadata?.Name ?? labels.GetValueOrDefault(CriLabels.ContainerName, ""),
                    cpu = Cpu(s.Cpu),
                    memory = Memory(s.Memory),
                    rootfs = s.WritableLayer is { } fs ? new { time = Time(fs.Timestamp), usedBytes = fs.UsedBytes?.Value, inodesUsed = fs.InodesUsed?.Value } : null,
                }).ToList();
                return new
                {
                    podRef = new { name = labels.GetValueOrDefault(CriLabels.PodName, ""), @namespace = labels.GetValueOrDefault(CriLabels.PodNamespace, ""), uid = g.Key },
                    containers,
                    cpu = new { time = now, usageNanoCores = Sum(g, s => s.Cpu?.UsageNanoCores?.Value), usageCoreNanoSeconds = Sum(g, s => s.Cpu?.UsageCoreNanoSeconds?.Value) },
                    memory = new { time = now, usageBytes = Sum(g, s => s.Memory?.UsageBytes?.Value), workingSetBytes = Sum(g, s => s.Memory?.WorkingSetBytes?.Value), rssBytes = Sum(g, s => s.Memory?.RssBytes?.Value) },
                };
            })
            .ToList();
        return new
        {
            node = new
            {
                nodeName = _options.NodeName,
                cpu = new { time = now, usageNanoCores = Sum(stats, s => s.Cpu?.UsageNanoCores?.Value), usageCoreNanoSeconds = Sum(stats, s => s.Cpu?.UsageCoreNanoSeconds?.Value) },
                memory = new { time = now, usageBytes = Sum(stats, s => s.Memory?.UsageBytes?.Value), workingSetBytes = Sum(stats, s => s.Memory?.WorkingSetBytes?.Value), rssBytes = Sum(stats, s => s.Memory?.RssBytes?.Value) },
            },
            pods = pods.Select(p => new { p.podRef, p.containers, p.cpu, p.memory }),
        };
    }

    private static object? Cpu(CpuUsage? cpu) =>
        cpu is null ? null : new { time = Time(cpu.Timestamp), usageNanoCores = cpu.UsageNanoCores?.Value, usageCoreNanoSeconds = cpu.UsageCoreNanoSeconds?.Value };

    private static object? Memory(MemoryUsage? memory) =>
        memory is null ? null : new
        {
            time = Time(memory.Timestamp),
            availableBytes = memory.AvailableBytes?.Value,
            usageBytes = memory.UsageBytes?.Value,
            workingSetBytes = memory.WorkingSetBytes?.Value,
            rssBytes = memory.RssBytes?.Value,
            pageFaults = memory.PageFaults?.Value,
            majorPageFaults = memory.MajorPageFaults?.Value,
        };

    private static ulong Sum(IEnumerable<ContainerStats> stats, Func<ContainerStats, ulong?> value) => stats.Aggregate(0UL, (total, s) => total + (value(s) ?? 0));

    private static string Time(long unixNanos) =>
        DateTimeOffset.UnixEpoch.AddTicks(unixNanos / 100).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
}
