using System.Diagnostics;
using System.Globalization;
using k8s.Models;
using Navarch.Proxy;
using Navarch.Proxy.Host;
using Navarch.Proxy.Iptables;
using Navarch.Proxy.Rules;
using Navarch.Proxy.Tests.Dataplane;

// The proxy's cost: (1) one sync — rule generation + one iptables-restore — for S Services × E endpoints, into a
// network namespace of its own; (2) new TCP connections per second to a pod straight and through ClusterIPs (with
// all S Services' rules loaded, the first and the last in the SERVICES chain), in the same run.
// Usage: Navarch.Bench.Proxy [--services 1000] [--endpoints 10] [--seconds 3] [--clients 16] [--profile (model/generate/render split)]
int services = Arg("--services", 1000), endpoints = Arg("--endpoints", 10), seconds = Arg("--seconds", 3), clients = Arg("--clients", 16);

await using NetnsLab lab = await NetnsLab.CreateAsync();
string podNs = await lab.AddPodAsync("pod", "10.42.0.11");
lab.ServeTcp(podNs, 8080, "pod");
var options = new ProxyOptions { NodeName = "node-a", ChainPrefix = $"NB{lab.Id}-", NetworkNamespace = lab.Node };
var applier = new RulesApplier(new CommandRunner(lab.Node), options);

// Services 10.43.x.y:80, each with E endpoints 10.42.(1+…).z:8080 that no traffic is sent to — except the first and
// the last Service, whose endpoints are the lab's pod.
var (svcs, slices) = Objects(services, endpoints);
var syncRows = new List<(string What, double GenerateMs, double RestoreMs, int Bytes)>();
List<ServicePortEndpoints> ports = ServiceModel.Build(svcs, slices, options.NodeName);
SyncResult first = await applier.ApplyAsync(ports, full: false, CancellationToken.None);
syncRows.Add(("first sync (all chains new)", first.Generate.TotalMilliseconds, first.Restore.TotalMilliseconds, first.Bytes));
for (int round = 0; round < 3; round++)
{
    // One endpoint changes: the whole ruleset is computed and written again (as kube-proxy without partial syncs).
    slices[services / 2].Endpoints[0].Addresses[0] = $"10.42.250.{round + 1}";
    var clock = Stopwatch.StartNew();
    ports = ServiceModel.Build(svcs, slices, options.NodeName);
    double model = clock.Elapsed.TotalMilliseconds;
    SyncResult changed = await applier.ApplyAsync(ports, full: false, CancellationToken.None);
    syncRows.Add(($"one endpoint changed #{round + 1} (partial)", model + changed.Generate.TotalMilliseconds, changed.Restore.TotalMilliseconds, changed.Bytes));
}

{
    var clock = Stopwatch.StartNew();
    ports = ServiceModel.Build(svcs, slices, options.NodeName);
    double model = clock.Elapsed.TotalMilliseconds;
    SyncResult same = await applier.ApplyAsync(ports, full: false, CancellationToken.None);
    syncRows.Add(("nothing changed (skipped)", model + same.Generate.TotalMilliseconds, same.Restore.TotalMilliseconds, same.Bytes));
    clock.Restart();
    ports = ServiceModel.Build(svcs, slices, options.NodeName);
    model = clock.Elapsed.TotalMilliseconds;
    SyncResult resync = await applier.ApplyAsync(ports, full: true, CancellationToken.None);
    syncRows.Add(("periodic full resync", model + resync.Generate.TotalMilliseconds, resync.Restore.TotalMilliseconds, resync.Bytes));
}

if (args.Contains("--profile"))
{
    var gen = new RuleGenerator(new ChainNames(options.ChainPrefix), options);
    for (int i = 0; i < 5; i++)
    {
        var c = Stopwatch.StartNew();
        var p = ServiceModel.Build(svcs, slices, options.NodeName);
        double m = c.Elapsed.TotalMilliseconds;
        c.Restart();
        RuleSet rs = gen.Generate(p);
        double g = c.Elapsed.TotalMilliseconds;
        c.Restart();
        string t = rs.Render();
        Console.WriteLine($"model {m:F1} generate {g:F1} render {c.Elapsed.TotalMilliseconds:F1}");
    }
}

await applier.Iptables.EnsureJumpsAsync(CancellationToken.None);
string firstIp = svcs[0].Spec.ClusterIP, lastIp = svcs[^1].Spec.ClusterIP;
// Two rounds, alternating, best of each: the machine is shared, so one slow moment should not decide a ratio.
var targets = new (string Name, string Ip, int Port)[] { ("pod IP straight", "10.42.0.11", 8080), ($"ClusterIP, 1st of {services}", firstIp, 80), ($"ClusterIP, last of {services}", lastIp, 80) };
var best = new double[targets.Length];
for (int round = 0; round < 2; round++)
{
    for (int t = 0; t < targets.Length; t++)
    {
        best[t] = Math.Max(best[t], await ConnectionsPerSecondAsync(targets[t].Ip, targets[t].Port));
    }
}

var loadRows = targets.Select((t, i) => (Target: t.Name, PerSecond: best[i])).ToList();
await ProxyServer.CleanupAsync(options);

Console.WriteLine();
Console.WriteLine($"Proxy sync, {services} Services x {endpoints} endpoints ({ports.Count} service ports, {ports.Sum(p => p.Endpoints.Count)} endpoints)");
Console.WriteLine($"| {"sync",-30} | {"generate ms",11} | {"restore ms",10} | {"total ms",8} | {"rules KiB",9} |");
Console.WriteLine($"|{new string('-', 32)}|{new string('-', 13)}|{new string('-', 12)}|{new string('-', 10)}|{new string('-', 11)}|");
foreach (var r in syncRows)
{
    Console.WriteLine($"| {r.What,-30} | {r.GenerateMs,11:F1} | {r.RestoreMs,10:F1} | {r.GenerateMs + r.RestoreMs,8:F1} | {r.Bytes / 1024.0,9:F0} |");
}

Console.WriteLine();
Console.WriteLine($"New TCP connections (connect, read reply, close), {clients} clients x {seconds} s, from the node namespace");
Console.WriteLine($"| {"target",-24} | {"conn/s",8} | {"vs straight",11} |");
Console.WriteLine($"|{new string('-', 26)}|{new string('-', 10)}|{new string('-', 13)}|");
foreach (var r in loadRows)
{
    Console.WriteLine($"| {r.Target,-24} | {r.PerSecond,8:F0} | {r.PerSecond / loadRows[0].PerSecond,11:F2} |");
}

async Task<double> ConnectionsPerSecondAsync(string ip, int port)
{
    // Warm-up, then count completed connections over the window.
    for (int i = 0; i < 50; i++)
    {
        await lab.TcpAsync(lab.Node, ip, port, TimeSpan.FromSeconds(2));
    }

    long done = 0;
    var window = Stopwatch.StartNew();
    TimeSpan length = TimeSpan.FromSeconds(seconds);
    var endpoint = new System.Net.IPEndPoint(System.Net.IPAddress.Parse(ip), port);
    // Blocking sockets on threads that live in the node's namespace: no hop per connection.
    await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => NetnsLab.RunInNamespaceAsync(lab.Node, () =>
    {
        byte[] buffer = new byte[64];
        while (window.Elapsed < length)
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            socket.ReceiveTimeout = 2000;
            socket.Connect(endpoint);
            int total = 0, read;
            while ((read = socket.Receive(buffer, total, buffer.Length - total, System.Net.Sockets.SocketFlags.None)) > 0)
            {
                total += read;
            }

            if (total != 4)
            {
                throw new InvalidOperationException($"unexpected reply of {total} bytes");
            }

            Interlocked.Increment(ref done);
        }
    })));
    return done / window.Elapsed.TotalSeconds;
}

static (List<V1Service> Services, List<V1EndpointSlice> Slices) Objects(int count, int endpoints)
{
    var services = new List<V1Service>();
    var slices = new List<V1EndpointSlice>();
    int next = 0;
    for (int i = 0; i < count; i++)
    {
        string name = $"svc-{i:D5}";
        services.Add(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "bench" },
            Spec = new V1ServiceSpec { ClusterIP = $"10.43.{(i + 1) / 250}.{((i + 1) % 250) + 1}", Ports = [new V1ServicePort { Name = "http", Port = 80, Protocol = "TCP" }] },
        });
        bool real = i == 0 || i == count - 1;
        slices.Add(new V1EndpointSlice
        {
            Metadata = new V1ObjectMeta { Name = $"{name}-x", NamespaceProperty = "bench", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = name } },
            AddressType = "IPv4",
            Endpoints = Enumerable.Range(0, real ? 1 : endpoints).Select(_ =>
            {
                string ip = real ? "10.42.0.11" : $"10.42.{1 + (next / 250)}.{(next % 250) + 1}";
                next++;
                return new V1Endpoint { Addresses = [ip], NodeName = "node-a", Conditions = new V1EndpointConditions { Ready = true } };
            }).ToList(),
            Ports = [new Discoveryv1EndpointPort { Name = "http", Port = 8080, Protocol = "TCP" }],
        });
    }

    return (services, slices);
}

int Arg(string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}
