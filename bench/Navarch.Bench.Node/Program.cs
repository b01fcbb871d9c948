using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using k8s;
using k8s.Models;
using Navarch.Bench.Node;
using Navarch.Client.Informers;

// A whole node, measured: `navarch server` (with its agent, its own containerd) started from the built binary.
// (1) the time from starting a fresh server to its node being Ready, over several starts; (2) the server process's RSS
// once idle; (3) pod start-up latency, create → Running and create → Ready, for pods created one at a time and for a
// batch created at once, the image present; (4) the server process's CPU and RSS with 50 and with 100 pods running.
// In `navarch server` the kubelet runs inside the server process, so "server" figures include the agent (not containerd
// or the shims, which are processes of their own).
// Usage: Navarch.Bench.Node [starts=3] [sequential=20] [batch=30]
int starts = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
int sequential = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
int batch = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 30;

string images = await ServerUnderTest.BuildImagesAsync();
var startTimes = new List<double>();
for (int i = 0; i < starts - 1; i++)
{
    await using ServerUnderTest once = await ServerUnderTest.StartAsync(images);
    startTimes.Add(once.StartToReady.TotalSeconds);
}

await using ServerUnderTest server = await ServerUnderTest.StartAsync(images);
startTimes.Add(server.StartToReady.TotalSeconds);
Kubernetes client = server.Client;

await Task.Delay(TimeSpan.FromSeconds(20));
long idleRss = server.RssBytes();

var created = new ConcurrentDictionary<string, TimeSpan>();
var running = new ConcurrentDictionary<string, TimeSpan>();
var ready = new ConcurrentDictionary<string, TimeSpan>();
var clock = Stopwatch.StartNew();
using var stop = new CancellationTokenSource();
var pods = new Informer<V1Pod>(client, "default");
pods.AddHandler(new ResourceEventHandler<V1Pod>(p =>
{
    TimeSpan now = clock.Elapsed;
    if (p.Status?.Phase == "Running")
    {
        running.TryAdd(p.Metadata.Name, now);
    }

    if (p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true)
    {
        ready.TryAdd(p.Metadata.Name, now);
    }
}));
Task watching = pods.RunAsync(stop.Token);
await pods.WaitForSyncAsync();

async Task CreateAsync(string name)
{
    created[name] = clock.Elapsed;
    await client.CoreV1.CreateNamespacedPodAsync(SleepPod(name), "default");
}

async Task WaitReadyAsync(IEnumerable<string> names)
{
    var deadline = Stopwatch.StartNew();
    while (!names.All(ready.ContainsKey))
    {
        if (deadline.Elapsed > TimeSpan.FromMinutes(5))
        {
            throw new TimeoutException("pods not Ready after 5 minutes");
        }

        await Task.Delay(20);
    }
}

string[] one = Enumerable.Range(0, sequential).Select(i => $"single-{i}").ToArray();
foreach (string name in one)
{
    await CreateAsync(name);
    await WaitReadyAsync([name]);
}

string[] many = Enumerable.Range(0, batch).Select(i => $"batch-{i}").ToArray();
await Task.WhenAll(many.Select(CreateAsync));
await WaitReadyAsync(many);

// Fill up to 50 and then 100 running pods; CPU is sampled over 30 s at each level once the pods are Ready.
async Task<(double Cores, long Rss)> LoadAsync(int total)
{
    string[] more = Enumerable.Range(created.Count, total - created.Count).Select(i => $"load-{i}").ToArray();
    await Task.WhenAll(more.Select(CreateAsync));
    await WaitReadyAsync(more);
    await Task.Delay(TimeSpan.FromSeconds(10));
    double cores = await server.CoresUsedAsync(TimeSpan.FromSeconds(30));
    return (cores, server.RssBytes());
}

(double cores50, long rss50) = await LoadAsync(50);
(double cores100, long rss100) = await LoadAsync(100);
await stop.CancelAsync();
await watching;

static double Percentile(IReadOnlyList<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

string Row(string what, IEnumerable<string> names)
{
    double[] toRunning = names.Select(n => (running[n] - created[n]).TotalSeconds).Order().ToArray();
    double[] toReady = names.Select(n => (ready[n] - created[n]).TotalSeconds).Order().ToArray();
    return FormattableString.Invariant($"| {what} | {toRunning.Length} | {Percentile(toRunning, 0.5):0.00} | {Percentile(toRunning, 0.99):0.00} | {Percentile(toReady, 0.5):0.00} | {Percentile(toReady, 0.99):0.00} | ≤ 5 |");
}

double[] startsSorted = [.. startTimes.Order()];
Console.WriteLine();
Console.WriteLine("| navarch server start → node Ready | runs | min s | median s |");
Console.WriteLine("| --- | ---: | ---: | ---: |");
Console.WriteLine(FormattableString.Invariant($"| fresh data dir, images imported at start | {startsSorted.Length} | {startsSorted[0]:0.00} | {Percentile(startsSorted, 0.5):0.00} |"));
Console.WriteLine();
Console.WriteLine("| pod start-up (image present) | pods | → Running p50 s | → Running p99 s | → Ready p50 s | → Ready p99 s | Kubernetes SLO p99 s |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
Console.WriteLine(Row("one at a time", one));
Console.WriteLine(Row($"{batch} at once", many));
Console.WriteLine();
Console.WriteLine("| server process (API server, store, controllers, scheduler, DNS, proxy, kubelet) | pods running | CPU, cores | RSS MiB |");
Console.WriteLine("| --- | ---: | ---: | ---: |");
Console.WriteLine(FormattableString.Invariant($"| idle | 0 | | {idleRss / 1048576.0:0} |"));
Console.WriteLine(FormattableString.Invariant($"| steady | 50 | {cores50:0.000} | {rss50 / 1048576.0:0} |"));
Console.WriteLine(FormattableString.Invariant($"| steady | 100 | {cores100:0.000} | {rss100 / 1048576.0:0} |"));

static V1Pod SleepPod(string name) => new()
{
    Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["bench"] = "node" } },
    Spec = new V1PodSpec
    {
        TerminationGracePeriodSeconds = 1,
        Containers = [new V1Container { Name = "main", Image = "busybox:1.35", ImagePullPolicy = "IfNotPresent", Command = ["sleep", "3600"] }],
    },
};
