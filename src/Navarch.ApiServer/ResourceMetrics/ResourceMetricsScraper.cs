using System.Collections.Concurrent;
using System.Text.Json;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Api.Selectors;
using Navarch.ApiServer.Http;
using Navarch.ApiServer.Registry;
using Navarch.ApiServer.Registry.Pods;

namespace Navarch.ApiServer.ResourceMetrics;

/// <summary>
/// The built-in resource metrics source, what metrics-server does: every resolution (15 s) it reads each node's kubelet
/// <c>/stats/summary</c> (with the API server's kubelet client certificate, as for logs and exec), turns each
/// container's cumulative CPU time into a rate over the interval since the previous reading, keeps the working set,
/// and holds the latest usage for <c>metrics.k8s.io</c>. A container is reported from its second reading on (a rate
/// needs two), a pod once all its containers are; a counter that went back (a restarted container) starts over.
/// </summary>
internal sealed partial class ResourceMetricsScraper(StoreRegistry stores, KubeletProxy kubelets, TimeSpan resolution, TimeProvider time, ILogger<ResourceMetricsScraper> logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, (ulong CpuNanoSeconds, DateTimeOffset At)> _previous = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private volatile Snapshot _latest = new(new Dictionary<string, PodUsage>(), new Dictionary<string, NodeUsage>());
    private Task _loop = Task.CompletedTask;

    /// <summary>The latest usage per pod (by namespace/name) and per node.</summary>
    public sealed record Snapshot(IReadOnlyDictionary<string, PodUsage> Pods, IReadOnlyDictionary<string, NodeUsage> Nodes);

    /// <summary>The latest usage.</summary>
    public Snapshot Latest => _latest;

    /// <summary>Starts scraping every resolution.</summary>
    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var ticker = new PeriodicTimer(resolution, time);
        do
        {
            try
            {
                await ScrapeAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogScrapeFailed(logger, e.Message);
            }
        }
        while (await WaitAsync(ticker, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer ticker, CancellationToken cancellationToken)
    {
        try
        {
            return await ticker.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>One round over every node; a node that does not answer within the resolution is left out of this round.</summary>
    public async Task ScrapeAsync(CancellationToken cancellationToken)
    {
        GenericStore nodes = stores.For("", "v1", "nodes");
        ListPage page = await nodes.ListAsync(null, new ListQuery(LabelSelector.Everything, FieldSelector.Everything), cancellationToken).ConfigureAwait(false);
        var results = await Task.WhenAll(page.Items.Cast<V1Node>().Select(n => ScrapeNodeAsync(n, cancellationToken))).ConfigureAwait(false);
        var pods = new Dictionary<string, PodUsage>(StringComparer.Ordinal);
        var nodeUsage = new Dictionary<string, NodeUsage>(StringComparer.Ordinal);
        foreach ((NodeUsage? node, List<PodUsage> nodePods) in results)
        {
            if (node is { } n)
            {
                nodeUsage[n.Name] = n;
            }

            foreach (PodUsage pod in nodePods)
            {
                pods[pod.Namespace + "/" + pod.Name] = pod;
            }
        }

        _latest = new Snapshot(pods, nodeUsage);

        // Containers not read for a few rounds are gone (or their node is): forget their counters.
        DateTimeOffset stale = time.GetUtcNow() - (3 * resolution);
        foreach (var entry in _previous.Where(e => e.Value.At < stale).ToList())
        {
            _previous.TryRemove(entry.Key, out _);
        }
    }

    private async Task<(NodeUsage? Node, List<PodUsage> Pods)> ScrapeNodeAsync(V1Node node, CancellationToken cancellationToken)
    {
        string name = node.Metadata.Name;
        byte[] body;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(resolution);
        try
        {
            body = await kubelets.GetAsync(KubeletLocations.EndpointOf(node), "/stats/summary", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or Navarch.Api.StatusException && !cancellationToken.IsCancellationRequested)
        {
            LogNodeFailed(logger, name, e.Message);
            return (null, []);
        }

        DateTimeOffset now = time.GetUtcNow();
        using JsonDocument summary = JsonDocument.Parse(body);
        var pods = new List<PodUsage>();
        long nodeCpu = 0;
        long nodeMemory = 0;
        TimeSpan window = TimeSpan.Zero;
        if (summary.RootElement.TryGetProperty("pods", out JsonElement podList))
        {
            foreach (JsonElement pod in podList.EnumerateArray())
            {
                JsonElement podRef = pod.GetProperty("podRef");
                string uid = podRef.GetProperty("uid").GetString() ?? "";
                var containers = new List<ContainerUsage>();
                bool complete = true;
                foreach (JsonElement container in pod.GetProperty("containers").EnumerateArray())
                {
                    string containerName = container.GetProperty("name").GetString() ?? "";
                    ulong? cumulative = Number(container, "cpu", "usageCoreNanoSeconds");
                    long memory = (long)(Number(container, "memory", "workingSetBytes") ?? 0);
                    string key = uid + "/" + containerName;
                    if (cumulative is not { } cpu)
                    {
                        complete = false;
                        continue;
                    }

                    if (_previous.TryGetValue(key, out var previous) && cpu >= previous.CpuNanoSeconds && now > previous.At)
                    {
                        TimeSpan elapsed = now - previous.At;
                        long nanoCores = (long)((cpu - previous.CpuNanoSeconds) / elapsed.TotalSeconds);
                        containers.Add(new ContainerUsage(containerName, nanoCores, memory, now, elapsed));
                        window = elapsed;
                    }
                    else
                    {
                        complete = false;
                    }

                    _previous[key] = (cpu, now);
                }

                nodeCpu += containers.Sum(c => c.NanoCores);
                nodeMemory += containers.Sum(c => c.WorkingSetBytes);
                if (complete && containers.Count > 0)
                {
                    pods.Add(new PodUsage(podRef.GetProperty("namespace").GetString() ?? "", podRef.GetProperty("name").GetString() ?? "", uid, name, containers));
                }
            }
        }

        // The kubelet's node entry is the whole machine (everything on it, not only pods), as metrics-server reads it;
        // a kubelet that reports none leaves the sum of the pods.
        if (summary.RootElement.TryGetProperty("node", out JsonElement nodeStats) && Number(nodeStats, "cpu", "usageCoreNanoSeconds") is { } nodeCumulative)
        {
            string key = "node:" + name;
            if (_previous.TryGetValue(key, out var previous) && nodeCumulative >= previous.CpuNanoSeconds && now > previous.At)
            {
                window = now - previous.At;
                nodeCpu = (long)((nodeCumulative - previous.CpuNanoSeconds) / window.TotalSeconds);
            }

            _previous[key] = (nodeCumulative, now);
            nodeMemory = Number(nodeStats, "memory", "workingSetBytes") is { } workingSet ? (long)workingSet : nodeMemory;
        }

        return (new NodeUsage(name, nodeCpu, nodeMemory, now, window == TimeSpan.Zero ? resolution : window), pods);
    }

    private static ulong? Number(JsonElement container, string section, string field) =>
        container.TryGetProperty(section, out JsonElement s) && s.ValueKind == JsonValueKind.Object && s.TryGetProperty(field, out JsonElement v) && v.ValueKind == JsonValueKind.Number
            ? v.GetUInt64()
            : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resource metrics: scrape failed: {Error}")]
    private static partial void LogScrapeFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resource metrics: node {Node} not scraped: {Error}")]
    private static partial void LogNodeFailed(ILogger logger, string node, string error);
}
