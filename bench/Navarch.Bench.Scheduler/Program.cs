using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Client.Informers;
using Navarch.Scheduler;
using Navarch.Scheduler.Cache;
using Navarch.Scheduler.Config;
using Navarch.Scheduler.Framework;
using Navarch.Testing;

// Scheduler throughput, shaped like scheduler_perf's SchedulingBasic: N nodes, a first batch of pods scheduled
// ("initPods"), then the measured batch; throughput is sampled once a second while the measured pods are bound, and
// reported as the average and the percentiles of those samples, as scheduler_perf's throughput collector does.
// Usage: Navarch.Bench.Scheduler [nodes=500,5000] [initPods=1000] [measuredPods=10000] [modes=algorithm,e2e]
int[] nodeCounts = (args.Length > 0 ? args[0] : "500,5000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
int initPods = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
int measuredPods = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10000;
string[] modes = (args.Length > 3 ? args[3] : "algorithm,e2e").Split(',');

// A warm-up round, not reported: the first run in a process pays for JIT and tiering, which would make whichever row
// comes first look slow.
Algorithm(100, 100, 1000);
await EndToEndAsync(100, 100, 1000);

var rows = new List<Result>();
foreach (int nodes in nodeCounts)
{
    if (modes.Contains("algorithm"))
    {
        rows.Add(Algorithm(nodes, initPods, measuredPods));
    }

    if (modes.Contains("e2e"))
    {
        rows.Add(await EndToEndAsync(nodes, initPods, measuredPods));
    }
}

Console.WriteLine();
Console.WriteLine("| mode | nodes | init pods | measured pods | seconds | average pods/s | p50 | p90 | p99 (per-second samples) |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
foreach (Result r in rows)
{
    Console.WriteLine(FormattableString.Invariant(
        $"| {r.Mode} | {r.Nodes} | {r.InitPods} | {r.MeasuredPods} | {r.Seconds:F2} | {r.MeasuredPods / r.Seconds:F0} | {Percentile(r.Samples, 50):F0} | {Percentile(r.Samples, 90):F0} | {Percentile(r.Samples, 99):F0} |"));
}

// scheduler_perf reports percentiles of per-second throughput samples; as there, "p99" is the sample that 99% of the
// others are at or below — the best seconds, not the worst.
static double Percentile(IReadOnlyList<double> samples, int p)
{
    if (samples.Count == 0)
    {
        return 0;
    }

    double[] sorted = samples.Order().ToArray();
    int index = Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1);
    return sorted[index];
}

// Bindings per whole second from the first measured binding; the last, partial second is left out unless it is the only one.
static List<double> PerSecond(IEnumerable<TimeSpan> boundAt)
{
    TimeSpan[] times = boundAt.Order().ToArray();
    TimeSpan first = times[0];
    int seconds = (int)(times[^1] - first).TotalSeconds;
    var counts = new double[seconds + 1];
    foreach (TimeSpan t in times)
    {
        counts[(int)(t - first).TotalSeconds]++;
    }

    return (seconds == 0 ? counts : counts[..^1]).ToList();
}

static V1Node Node(int i)
{
    var resources = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("4"), ["memory"] = new("32Gi"), ["pods"] = new("110") };
    return new V1Node
    {
        ApiVersion = "v1",
        Kind = "Node",
        Metadata = new V1ObjectMeta { Name = $"node-{i:D5}", Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = $"node-{i:D5}", ["topology.kubernetes.io/zone"] = $"zone-{i % 3}" } },
        Status = new V1NodeStatus { Capacity = resources, Allocatable = resources },
    };
}

// scheduler_perf's pod-default template: one pause container requesting 100m cpu and 500Mi memory.
static V1Pod Pod(string prefix, int i) => new()
{
    ApiVersion = "v1",
    Kind = "Pod",
    Metadata = new V1ObjectMeta { Name = $"{prefix}-{i:D6}", NamespaceProperty = "default" },
    Spec = new V1PodSpec
    {
        Containers = [new V1Container { Name = "pause", Image = "registry.k8s.io/pause:3.10", Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("500Mi") } } }],
    },
};

// The algorithm alone: snapshot, filter, score and assume, in process; samples are pods scheduled per second.
static Result Algorithm(int nodes, int initPods, int measuredPods)
{
    var cache = new SchedulerCache(TimeProvider.System, TimeSpan.FromMinutes(30));
    for (int i = 0; i < nodes; i++)
    {
        cache.AddOrUpdateNode(Node(i));
    }

    var snapshot = new Snapshot();
    var handle = new FrameworkHandle { Snapshot = snapshot };
    Profile profile = ProfileBuilder.Build(new ProfileConfiguration(), 0, new PluginRegistry(), handle);
    var algorithm = new SchedulingAlgorithm();
    void ScheduleOne(V1Pod pod)
    {
        cache.UpdateSnapshot(snapshot);
        ScheduleResult r = algorithm.Schedule(profile, new CycleState(), pod, snapshot);
        cache.AssumePod(pod, r.NodeName ?? throw new InvalidOperationException(r.FitMessage()));
    }

    for (int i = 0; i < initPods; i++)
    {
        ScheduleOne(Pod("init", i));
    }

    var done = new List<TimeSpan>(measuredPods);
    var watch = Stopwatch.StartNew();
    for (int i = 0; i < measuredPods; i++)
    {
        ScheduleOne(Pod("measured", i));
        done.Add(watch.Elapsed);
    }

    return new Result("algorithm", nodes, initPods, measuredPods, watch.Elapsed.TotalSeconds, PerSecond(done));
}

// End to end: a real API server over SQLite, Node objects, the scheduler running, pods created through the API at
// up to 16 requests in flight; the clock runs from the first measured create to the last measured binding seen.
static async Task<Result> EndToEndAsync(int nodes, int initPods, int measuredPods)
{
    await using ApiServerHost host = await ApiServerHost.StartAsync();
    Kubernetes client = host.Client;
    await Parallel.ForEachAsync(Enumerable.Range(0, nodes), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
    {
        V1Node node = Node(i);
        V1NodeStatus status = node.Status;
        V1Node created = await client.CoreV1.CreateNodeAsync(node, cancellationToken: ct);
        created.Status = status;
        await client.CoreV1.ReplaceNodeStatusAsync(created, created.Metadata.Name, cancellationToken: ct);
    });

    using var stop = new CancellationTokenSource();
    var boundAt = new ConcurrentDictionary<string, TimeSpan>();
    var watch = Stopwatch.StartNew();
    var observer = new Informer<V1Pod>(client, "default");
    observer.AddHandler(new ResourceEventHandler<V1Pod>(p =>
    {
        if (!string.IsNullOrEmpty(p.Spec.NodeName))
        {
            boundAt.TryAdd(p.Metadata.Name, watch.Elapsed);
        }
    }));
    Task observing = observer.RunAsync(stop.Token);
    await observer.WaitForSyncAsync();
    Task scheduler = new KubeScheduler(client, NullLoggerFactory.Instance).RunAsync(stop.Token);

    async Task CreateAndWaitAsync(string prefix, int count)
    {
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            await client.CoreV1.CreateNamespacedPodAsync(Pod(prefix, i), "default", cancellationToken: ct));
        var deadline = Stopwatch.StartNew();
        while (boundAt.Keys.Count(k => k.StartsWith(prefix, StringComparison.Ordinal)) < count)
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(10))
            {
                throw new TimeoutException($"{prefix} pods not all bound after 10 minutes");
            }

            await Task.Delay(50);
        }
    }

    await CreateAndWaitAsync("init", initPods);
    TimeSpan start = watch.Elapsed;
    await CreateAndWaitAsync("measured", measuredPods);
    TimeSpan[] measured = boundAt.Where(kv => kv.Key.StartsWith("measured", StringComparison.Ordinal)).Select(kv => kv.Value).ToArray();
    double seconds = (measured.Max() - start).TotalSeconds;
    await stop.CancelAsync();
    await scheduler;
    await observing;
    return new Result("end-to-end", nodes, initPods, measuredPods, seconds, PerSecond(measured));
}

internal sealed record Result(string Mode, int Nodes, int InitPods, int MeasuredPods, double Seconds, List<double> Samples);
