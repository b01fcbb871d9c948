using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Pods;
using Navarch.Kubelet.Stats;

namespace Navarch.Kubelet.Server;

public sealed partial class KubeletServer
{
    /// <summary>
    /// The kubelet's stats/v1alpha1 Summary (<c>/stats/summary</c>, and what <c>/metrics/resource</c> exposes): per pod
    /// its containers' CPU and memory from the runtime's CRI container stats (with each container's start), the pod as
    /// their sum, and the node as this machine's own readings (<see cref="NodeUsageReader"/>), everything on it counted.
    /// </summary>
    private async Task<Summary> SummaryAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<ContainerStats> stats = await _runtimeService.ListContainerStatsAsync(new ContainerStatsFilter(), cancellationToken).ConfigureAwait(false);
        Dictionary<string, long> created = (await _runtimeService.ListContainersAsync(null, cancellationToken).ConfigureAwait(false))
            .ToDictionary(c => c.Id, c => c.CreatedAt, StringComparer.Ordinal);
        NodeUsageSample node = _nodeUsage.Read();
        DateTime now = node.Time.UtcDateTime;
        var pods = stats
            .Where(s => s.Attributes?.Labels.ContainsKey(CriLabels.PodUid) == true)
            .GroupBy(s => s.Attributes.Labels[CriLabels.PodUid], StringComparer.Ordinal)
            .Select(g =>
            {
                var labels = g.First().Attributes.Labels;
                var reference = new PodReference(labels.GetValueOrDefault(CriLabels.PodName, ""), labels.GetValueOrDefault(CriLabels.PodNamespace, ""), g.Key);
                var containers = g.Select(s => new ContainerStatsSummary(
                    s.Attributes.Metadata?.Name ?? s.Attributes.Labels.GetValueOrDefault(CriLabels.ContainerName, ""),
                    created.TryGetValue(s.Attributes.Id, out long at) && at > 0 ? Time(at) : null,
                    Cpu(s.Cpu),
                    Memory(s.Memory),
                    s.WritableLayer is { } fs ? new FsStats(Time(fs.Timestamp), fs.UsedBytes?.Value, fs.InodesUsed?.Value) : null)).ToList();
                return new PodStats(
                    reference,
                    _pods.Get($"{reference.Namespace}/{reference.Name}")?.Status?.StartTime,
                    containers,
                    new CpuStats(now, Sum(g, s => s.Cpu?.UsageNanoCores?.Value), Sum(g, s => s.Cpu?.UsageCoreNanoSeconds?.Value)),
                    new MemoryStats(now, null, Sum(g, s => s.Memory?.UsageBytes?.Value), Sum(g, s => s.Memory?.WorkingSetBytes?.Value), Sum(g, s => s.Memory?.RssBytes?.Value)));
            })
            .ToList();
        return new Summary(
            new NodeStats(
                _options.NodeName,
                new CpuStats(now, node.UsageNanoCores, node.UsageCoreNanoSeconds),
                new MemoryStats(now, node.AvailableBytes, node.MemoryUsageBytes, node.WorkingSetBytes),
                node.SwapUsageBytes is { } swap ? new SwapStats(now, node.SwapAvailableBytes, swap) : null),
            pods);
    }

    /// <summary><c>/metrics/resource</c>: the summary's samples, or <c>resource_scrape_error 1</c> when the runtime cannot be read.</summary>
    private async Task<string> ResourceMetricsAsync(CancellationToken cancellationToken)
    {
        Summary? summary;
        try
        {
            summary = await SummaryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Grpc.Core.RpcException or IOException or FormatException && !cancellationToken.IsCancellationRequested)
        {
            LogStatsFailed(_logger, "/metrics/resource", e.Message);
            summary = null;
        }

        return ResourceMetrics.Write(summary);
    }

    /// <summary>
    /// <c>/metrics/cadvisor</c>: the machine's root cgroup and each container from the runtime's stats, with the cgroup
    /// containerd gives a container whose pod names no cgroup parent (<c>/k8s.io/&lt;id&gt;</c>) as its <c>id</c>.
    /// </summary>
    private async Task<string> CadvisorMetricsAsync(CancellationToken cancellationToken)
    {
        NodeUsageSample root = _nodeUsage.Read();
        List<CadvisorContainer>? containers;
        try
        {
            IReadOnlyList<ContainerStats> stats = await _runtimeService.ListContainerStatsAsync(new ContainerStatsFilter(), cancellationToken).ConfigureAwait(false);
            Dictionary<string, Container> byId = (await _runtimeService.ListContainersAsync(null, cancellationToken).ConfigureAwait(false)).ToDictionary(c => c.Id, StringComparer.Ordinal);
            string? mountinfo = MachineInfo.ReadOrNull("/proc/self/mountinfo");
            containers = stats
                .Where(s => s.Attributes?.Labels.ContainsKey(CriLabels.PodUid) == true)
                .Select(s =>
                {
                    var labels = s.Attributes.Labels;
                    Container? container = byId.GetValueOrDefault(s.Attributes.Id);
                    return new CadvisorContainer(
                        "/k8s.io/" + s.Attributes.Id,
                        s.Attributes.Id,
                        s.Attributes.Metadata?.Name ?? labels.GetValueOrDefault(CriLabels.ContainerName, ""),
                        labels.GetValueOrDefault(CriLabels.PodNamespace, ""),
                        labels.GetValueOrDefault(CriLabels.PodName, ""),
                        container?.Image?.Image is { Length: > 0 } image ? image : container?.ImageRef ?? "",
                        container is { CreatedAt: > 0 } ? Time(container.CreatedAt) : null,
                        Cpu(s.Cpu),
                        Memory(s.Memory))
                    {
                        Filesystem = s.WritableLayer is { } layer ? Filesystem(layer, mountinfo) : null,
                        DiskIo = CgroupBlockIo.Read("/k8s.io/" + s.Attributes.Id, MachineInfo.ReadOrNull),
                    };
                })
                .ToList();
            containers.AddRange(await SandboxNetworkAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (e is Grpc.Core.RpcException or IOException && !cancellationToken.IsCancellationRequested)
        {
            LogStatsFailed(_logger, "/metrics/cadvisor", e.Message);
            containers = null;
        }

        return CadvisorMetrics.Write(root, _machine ??= MachineInfo.Read(root.AvailableBytes + root.WorkingSetBytes), containers);
    }

    /// <summary>
    /// Each ready pod sandbox (the pause container cAdvisor reports a pod's network on: <c>container=""</c>, its
    /// image, its id) with the interfaces of the pod's network namespace, read through its pause process (the pid and
    /// image containerd gives in the sandbox's verbose status). A sandbox gone meanwhile is left out.
    /// </summary>
    private async Task<List<CadvisorContainer>> SandboxNetworkAsync(CancellationToken cancellationToken)
    {
        var sandboxes = new List<CadvisorContainer>();
        var ready = new PodSandboxFilter { State = new PodSandboxStateValue { State = PodSandboxState.SandboxReady } };
        foreach (PodSandbox sandbox in await _runtimeService.ListPodSandboxAsync(ready, cancellationToken).ConfigureAwait(false))
        {
            PodSandboxStatusResponse status;
            try
            {
                status = await _runtimeService.PodSandboxStatusAsync(sandbox.Id, verbose: true, cancellationToken).ConfigureAwait(false);
            }
            catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.NotFound)
            {
                continue;
            }

            if (SandboxInfo.Parse(status.Info.GetValueOrDefault("info")) is not { Pid: > 0 } info
                || NetDev.Read(info.Pid, MachineInfo.ReadOrNull) is not { Count: > 0 } network)
            {
                continue;
            }

            sandboxes.Add(new CadvisorContainer(
                "/k8s.io/" + sandbox.Id,
                sandbox.Id,
                "",
                sandbox.Metadata?.Namespace ?? "",
                sandbox.Metadata?.Name ?? "",
                info.Image,
                null,
                null,
                null)
            { Network = network });
        }

        return sandboxes;
    }

    /// <summary>The writable layer's usage, on the filesystem (and device) its mount point is on; null when that cannot be read.</summary>
    private static CadvisorFilesystem? Filesystem(FilesystemUsage layer, string? mountinfo)
    {
        if (layer.FsId?.Mountpoint is not { Length: > 0 } mountPoint || layer.UsedBytes is null)
        {
            return null;
        }

        try
        {
            return new CadvisorFilesystem(MountDevice.Of(mountPoint, mountinfo), layer.UsedBytes.Value, (ulong)new DriveInfo(mountPoint).TotalSize, Time(layer.Timestamp));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private static CpuStats? Cpu(CpuUsage? cpu) =>
        cpu is null ? null : new CpuStats(Time(cpu.Timestamp), cpu.UsageNanoCores?.Value, cpu.UsageCoreNanoSeconds?.Value);

    private static MemoryStats? Memory(MemoryUsage? memory) =>
        memory is null ? null : new MemoryStats(
            Time(memory.Timestamp),
            memory.AvailableBytes?.Value,
            memory.UsageBytes?.Value,
            memory.WorkingSetBytes?.Value,
            memory.RssBytes?.Value,
            memory.PageFaults?.Value,
            memory.MajorPageFaults?.Value);

    private static ulong Sum(IEnumerable<ContainerStats> stats, Func<ContainerStats, ulong?> value) => stats.Aggregate(0UL, (total, s) => total + (value(s) ?? 0));

    private static DateTime Time(long unixNanos) => DateTimeOffset.UnixEpoch.AddTicks(unixNanos / 100).UtcDateTime;
}
