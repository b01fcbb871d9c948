using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Navarch.Api.Storage;
using Navarch.Bench.Node;
using Navarch.Client.Informers;

// Storage, measured on a whole node: `navarch server` (with its agent, its own containerd) started from the built binary,
// its default `local-path` class (an ext4 image on a loop device per volume, made by the agent's provisioner).
// (1) claims provisioned and bound per second: N claims created at once, each already given the node as the scheduler
// would (volume.kubernetes.io/selected-node), timed from the first create to the last Bound; then deleted at once and
// timed until the last volume is gone (reclaim policy Delete); (2) the time from creating a claim and its pod together to
// the pod Running, one at a time, beside the same pod with an emptyDir; (3) write throughput, one run each: busybox dd
// of 256 MiB with fsync, timed by busybox sh's `time` (Debian's busybox dd prints no rate), on the host's data dir, in a
// pod into an emptyDir, in a pod into a provisioned volume.
// Everything it starts (server, containerd, pods, volumes, loop devices, mounts, bridge, chains, data dir) goes at the end.
// Usage: Navarch.Bench.Volumes [claims=100] [pods=10]
int claimCount = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
int podRuns = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
const int DdMiB = 256;

string images = await ServerUnderTest.BuildImagesAsync();
await using ServerUnderTest server = await ServerUnderTest.StartAsync(images);
Kubernetes client = server.Client;
string node = (await client.CoreV1.ListNodeAsync()).Items.Single().Metadata.Name;
var clock = Stopwatch.StartNew();
using var stop = new CancellationTokenSource();

var created = new ConcurrentDictionary<string, TimeSpan>(StringComparer.Ordinal);
var bound = new ConcurrentDictionary<string, TimeSpan>(StringComparer.Ordinal);
var claims = new Informer<V1PersistentVolumeClaim>(client, "default");
claims.AddHandler(new ResourceEventHandler<V1PersistentVolumeClaim>(c =>
{
    if (c.Status?.Phase == "Bound")
    {
        bound.TryAdd(c.Metadata.Name, clock.Elapsed);
    }
}));
var running = new ConcurrentDictionary<string, TimeSpan>(StringComparer.Ordinal);
var finished = new ConcurrentDictionary<string, V1Pod>(StringComparer.Ordinal);
var pods = new Informer<V1Pod>(client, "default");
pods.AddHandler(new ResourceEventHandler<V1Pod>(p =>
{
    if (p.Status?.Phase == "Running")
    {
        running.TryAdd(p.Metadata.Name, clock.Elapsed);
    }
    else if (p.Status?.Phase is "Succeeded" or "Failed")
    {
        finished[p.Metadata.Name] = p;
    }
}));
var volumes = new Informer<V1PersistentVolume>(client);
Task[] watching = [claims.RunAsync(stop.Token), pods.RunAsync(stop.Token), volumes.RunAsync(stop.Token)];
await Task.WhenAll(claims.WaitForSyncAsync(), pods.WaitForSyncAsync(), volumes.WaitForSyncAsync());

async Task UntilAsync(Func<bool> done, string what)
{
    var waited = Stopwatch.StartNew();
    while (!done())
    {
        if (waited.Elapsed > TimeSpan.FromMinutes(5))
        {
            throw new TimeoutException($"{what}: not after 5 minutes");
        }

        await Task.Delay(10);
    }
}

async Task CreateClaimAsync(string name, string size, string? selectedNode)
{
    created[name] = clock.Elapsed;
    await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim(name, size, selectedNode), "default");
}

// (1) N claims at once, provisioned and bound; then deleted at once, volumes gone.
string[] batch = [.. Enumerable.Range(0, claimCount).Select(i => $"batch-{i}")];
TimeSpan batchStart = clock.Elapsed;
await Task.WhenAll(batch.Select(n => CreateClaimAsync(n, "8Mi", node)));
await UntilAsync(() => batch.All(bound.ContainsKey), $"{claimCount} claims bound");
double bindSeconds = (batch.Max(n => bound[n]) - batchStart).TotalSeconds;
double[] toBound = [.. batch.Select(n => (bound[n] - created[n]).TotalSeconds).Order()];

TimeSpan deleteStart = clock.Elapsed;
await client.CoreV1.DeleteCollectionNamespacedPersistentVolumeClaimAsync("default");
await UntilAsync(() => volumes.Store.List().Count == 0, $"{claimCount} volumes deleted");
double deleteSeconds = (clock.Elapsed - deleteStart).TotalSeconds;
Console.WriteLine();
Console.WriteLine("| local-path claims at once (8Mi each, node selected) | claims | all bound s | claims/s | create → Bound p50 s | p99 s | all deleted s | deleted/s |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
Console.WriteLine(FormattableString.Invariant($"| provisioned (ext4 image, loop mount), bound, then deleted | {claimCount} | {bindSeconds:0.00} | {claimCount / bindSeconds:0.0} | {Percentile(toBound, 0.5):0.00} | {Percentile(toBound, 0.99):0.00} | {deleteSeconds:0.00} | {claimCount / deleteSeconds:0.0} |"));

// (2) A claim and its pod created together → the pod Running, beside the same pod with an emptyDir; one at a time.
async Task<double> StartPodAsync(string name, bool claim)
{
    TimeSpan start = clock.Elapsed;
    if (claim)
    {
        await CreateClaimAsync(name, "8Mi", selectedNode: null);
    }

    await client.CoreV1.CreateNamespacedPodAsync(Pod(name, ["sleep", "3600"], claim ? name : null), "default");
    await UntilAsync(() => running.ContainsKey(name), $"{name} running");
    return (running[name] - start).TotalSeconds;
}

var withEmptyDir = new List<double>();
var withClaim = new List<double>();
for (int i = 0; i < podRuns; i++)
{
    withEmptyDir.Add(await StartPodAsync($"empty-{i}", claim: false));
    withClaim.Add(await StartPodAsync($"claim-{i}", claim: true));
}

double[] emptySorted = [.. withEmptyDir.Order()];
double[] claimSorted = [.. withClaim.Order()];
Console.WriteLine();
Console.WriteLine("| pod start-up, one at a time (image present) | pods | → Running p50 s | → Running max s | ratio p50 |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
Console.WriteLine(FormattableString.Invariant($"| pod with an emptyDir | {podRuns} | {Percentile(emptySorted, 0.5):0.00} | {emptySorted[^1]:0.00} | 1.00 |"));
Console.WriteLine(FormattableString.Invariant($"| claim + pod created together (WaitForFirstConsumer) | {podRuns} | {Percentile(claimSorted, 0.5):0.00} | {claimSorted[^1]:0.00} | {Percentile(claimSorted, 0.5) / Percentile(emptySorted, 0.5):0.00} |"));

// (3) dd with fsync: the raw data dir, then in pods into an emptyDir and into a provisioned volume (room for the file).
// The same command on the host and in the pods: busybox's dd, timed by its sh (10 ms resolution; a run takes seconds).
string DdScript(string file) => $"time dd if=/dev/zero of={file} bs=1M count={DdMiB} conv=fsync 2>&1";
Regex real = new(@"real\s+(\d+)m\s*([0-9.]+)s", RegexOptions.CultureInvariant);
double MiBPerSecond(string output)
{
    Match m = real.Match(output);
    if (!m.Success || !output.Contains($"{DdMiB}+0 records out", StringComparison.Ordinal))
    {
        throw new InvalidOperationException("dd did not write it all: " + output);
    }

    double seconds = (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * 60) + double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
    return DdMiB / seconds;
}

string hostFile = Path.Combine(server.DataDir, "dd-host");
var dd = new ProcessStartInfo("busybox") { RedirectStandardError = true, RedirectStandardOutput = true };
foreach (string arg in (string[])["sh", "-c", DdScript(hostFile)])
{
    dd.ArgumentList.Add(arg);
}

double hostRate;
using (Process host = Process.Start(dd)!)
{
    Task<string> stdout = host.StandardOutput.ReadToEndAsync();
    string output = await host.StandardError.ReadToEndAsync();
    await host.WaitForExitAsync();
    hostRate = MiBPerSecond(await stdout + output);
    File.Delete(hostFile);
}

async Task<double> DdInPodAsync(string name, bool claim)
{
    if (claim)
    {
        // Twice the file: ext4's journal and metadata take their share of a small image.
        await CreateClaimAsync(name, $"{DdMiB * 2}Mi", selectedNode: null);
    }

    await client.CoreV1.CreateNamespacedPodAsync(Pod(name, ["sh", "-c", DdScript("/data/f")], claim ? name : null, restart: "Never"), "default");
    await UntilAsync(() => finished.ContainsKey(name), $"{name} finished");
    if (finished[name].Status.Phase != "Succeeded")
    {
        throw new InvalidOperationException($"{name} failed");
    }

    using StreamReader log = new(await client.CoreV1.ReadNamespacedPodLogAsync(name, "default"));
    return MiBPerSecond(await log.ReadToEndAsync());
}

double emptyDirRate = await DdInPodAsync("dd-emptydir", claim: false);
double volumeRate = await DdInPodAsync("dd-volume", claim: true);

// Clean up what the benchmark made before the server goes: pods (their mounts), then claims and their volumes.
await client.CoreV1.DeleteCollectionNamespacedPodAsync("default");
await UntilAsync(() => pods.Store.List().Count == 0, "pods deleted");
await client.CoreV1.DeleteCollectionNamespacedPersistentVolumeClaimAsync("default");
await UntilAsync(() => volumes.Store.List().Count == 0, "volumes deleted");
await stop.CancelAsync();
await Task.WhenAll(watching);

static double Percentile(IReadOnlyList<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

Console.WriteLine();
Console.WriteLine($"| busybox dd {DdMiB} MiB, bs=1M, conv=fsync, timed by sh's time (one run) | MiB/s | ratio to the host |");
Console.WriteLine("| --- | ---: | ---: |");
Console.WriteLine(FormattableString.Invariant($"| host, the data dir | {hostRate:0} | 1.00 |"));
Console.WriteLine(FormattableString.Invariant($"| pod, emptyDir | {emptyDirRate:0} | {emptyDirRate / hostRate:0.00} |"));
Console.WriteLine(FormattableString.Invariant($"| pod, local-path volume (ext4 on loop) | {volumeRate:0} | {volumeRate / hostRate:0.00} |"));

static V1PersistentVolumeClaim Claim(string name, string size, string? selectedNode) => new()
{
    Metadata = new V1ObjectMeta
    {
        Name = name,
        Annotations = selectedNode is null ? null : new Dictionary<string, string> { [StorageAnnotations.SelectedNode] = selectedNode },
    },
    Spec = new V1PersistentVolumeClaimSpec
    {
        StorageClassName = "local-path",
        AccessModes = ["ReadWriteOnce"],
        Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new ResourceQuantity(size) } },
    },
};

static V1Pod Pod(string name, IList<string> command, string? claim, string restart = "Always") => new()
{
    Metadata = new V1ObjectMeta { Name = name },
    Spec = new V1PodSpec
    {
        RestartPolicy = restart,
        TerminationGracePeriodSeconds = 1,
        Containers = [new V1Container { Name = "main", Image = "busybox:1.35", ImagePullPolicy = "IfNotPresent", Command = command, VolumeMounts = [new V1VolumeMount { Name = "data", MountPath = "/data" }] }],
        Volumes = [claim is null
            ? new V1Volume { Name = "data", EmptyDir = new V1EmptyDirVolumeSource() }
            : new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim } }],
    },
};
