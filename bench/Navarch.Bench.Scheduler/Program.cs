using System.Diagnostics;
using System.Globalization;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Scheduler;
using Navarch.Scheduler.Cache;
using Navarch.Scheduler.Config;
using Navarch.Scheduler.Framework;
using Navarch.Testing;

// Scheduler throughput, shaped like scheduler_perf's SchedulingBasic: N nodes, then pods of one small request.
// Usage: Navarch.Bench.Scheduler [nodes=100] [pods=1000]
int nodeCount = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
int podCount = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;

var rows = new List<(string Mode, int Nodes, int Pods, double Seconds, string Extra)>();
rows.Add(Algorithm(nodeCount, podCount));
rows.Add(await EndToEndAsync(nodeCount, podCount));

Console.WriteLine();
Console.WriteLine($"| {"mode",-12} | {"nodes",6} | {"pods",6} | {"seconds",8} | {"pods/s",8} | {"per-second samples",-30} |");
Console.WriteLine($"|{new string('-', 14)}|{new string('-', 8)}|{new string('-', 8)}|{new string('-', 10)}|{new string('-', 10)}|{new string('-', 32)}|");
foreach (var r in rows)
{
    Console.WriteLine($"| {r.Mode,-12} | {r.Nodes,6} | {r.Pods,6} | {r.Seconds,8:F2} | {r.Pods / r.Seconds,8:F0} | {r.Extra,-30} |");
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

static V1Pod Pod(int i) => new()
{
    ApiVersion = "v1",
    Kind = "Pod",
    Metadata = new V1ObjectMeta { Name = $"pod-{i:D6}", NamespaceProperty = "default" },
    Spec = new V1PodSpec
    {
        Containers = [new V1Container { Name = "c", Image = "registry.k8s.io/pause:3.10", Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("10m"), ["memory"] = new("10Mi") } } }],
    },
};

// The algorithm alone: snapshot, filter, score and assume, in process.
static (string, int, int, double, string) Algorithm(int nodes, int pods)
{
    var cache = new SchedulerCache(TimeProvider.System, TimeSpan.FromSeconds(30));
    for (int i = 0; i < nodes; i++)
    {
        cache.AddOrUpdateNode(Node(i));
    }

    var snapshot = new Snapshot();
    var handle = new FrameworkHandle { Snapshot = snapshot };
    Profile profile = ProfileBuilder.Build(new ProfileConfiguration(), 0, new PluginRegistry(), handle);
    var algorithm = new SchedulingAlgorithm();
    var watch = Stopwatch.StartNew();
    for (int i = 0; i < pods; i++)
    {
        V1Pod pod = Pod(i);
        cache.UpdateSnapshot(snapshot);
        ScheduleResult r = algorithm.Schedule(profile, new CycleState(), pod, snapshot);
        cache.AssumePod(pod, r.NodeName ?? throw new InvalidOperationException(r.FitMessage()));
    }

    return ("algorithm", nodes, pods, watch.Elapsed.TotalSeconds, "");
}

// End to end: a real API server, Node objects, pods created through the API, the scheduler binding them.
static async Task<(string, int, int, double, string)> EndToEndAsync(int nodes, int pods)
{
    await using ApiServerHost host = await ApiServerHost.StartAsync();
    Kubernetes client = host.Client;
    for (int i = 0; i < nodes; i++)
    {
        V1Node node = Node(i);
        V1NodeStatus status = node.Status;
        V1Node created = await client.CoreV1.CreateNodeAsync(node);
        created.Status = status;
        await client.CoreV1.ReplaceNodeStatusAsync(created, created.Metadata.Name);
    }

    // Pods are created first, then the scheduler starts: the clock measures scheduling and binding alone.
    var create = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, pods), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        await client.CoreV1.CreateNamespacedPodAsync(Pod(i), "default", cancellationToken: ct));
    double createSeconds = create.Elapsed.TotalSeconds;
    // An informer notes when each binding shows up, so the clock stops at the last one.
    using var stop = new CancellationTokenSource();
    var boundAt = new System.Collections.Concurrent.ConcurrentDictionary<string, TimeSpan>();
    var watch = new Stopwatch();
    var observer = new Navarch.Client.Informers.Informer<V1Pod>(client, "default");
    observer.AddHandler(new Navarch.Client.Informers.ResourceEventHandler<V1Pod>(p =>
    {
        if (!string.IsNullOrEmpty(p.Spec.NodeName))
        {
            boundAt.TryAdd(p.Metadata.Name, watch.Elapsed);
        }
    }));
    Task observing = observer.RunAsync(stop.Token);
    await observer.WaitForSyncAsync();
    watch.Start();
    Task scheduler = new KubeScheduler(client, NullLoggerFactory.Instance).RunAsync(leaderElect: false, "bench", stop.Token);
    while (boundAt.Count < pods && watch.Elapsed < TimeSpan.FromMinutes(5))
    {
        await Task.Delay(50);
    }

    double seconds = boundAt.Values.Max().TotalSeconds;
    await stop.CancelAsync();
    await scheduler;
    await observing;
    TimeSpan first = boundAt.Values.Min();
    var samples = boundAt.Values.GroupBy(t => (int)(t - first).TotalSeconds).Select(g => g.Count()).ToList();
    samples.Sort();
    string extra = $"p50 {samples[samples.Count / 2]}/s, first bind {first.TotalSeconds:F2}s, create {pods / createSeconds:F0}/s";
    return ("end-to-end", nodes, pods, seconds, extra);
}
