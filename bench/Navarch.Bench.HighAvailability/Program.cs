using System.Diagnostics;
using System.Globalization;
using Etcdserverpb;
using k8s;
using k8s.Models;

namespace Navarch.Bench.HighAvailability;

/// <summary>
/// High-availability benchmark (issue 21): the API's write throughput and latency — ConfigMap creates through the real
/// API server by --clients concurrent clients — on one server over SQLite, one over an embedded etcd, and three over a
/// three-member embedded etcd (clients spread over the three), all running at once and measured in --rounds interleaved
/// rounds of --seconds each, so that a busy machine weighs on the three alike; then, on the three,
/// the failover: <c>kill -9</c> of the server whose etcd member leads, under continuous writes through the other two,
/// to the first write acknowledged after it, the longest stall between acknowledged writes, and the controller-manager
/// Lease taken over. The servers run as <c>navarch server --disable-agent</c> on 127.0.0.2-6 with the standard ports,
/// so nothing else may use those (the HA end-to-end tests use 127.0.0.2-4: not at the same time).
/// Usage: navarch-bench-ha [--seconds N] [--clients N] [--rounds N].
/// </summary>
internal static class Program
{
    private static readonly string[] Addresses = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];

    public static async Task<int> Main(string[] args)
    {
        double seconds = 5;
        int clients = 16;
        int rounds = 3;
        for (int i = 0; i < args.Length - 1; i++)
        {
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--clients": clients = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
            }
        }

        TimeSpan window = TimeSpan.FromSeconds(seconds);
        string root = Directory.CreateTempSubdirectory("navarch-bench-ha-").FullName;
        var servers = new List<LoopbackServer>();
        try
        {
            // All five run at once, so that the rounds below interleave the three set-ups: a busy machine slows each alike.
            LoopbackServer sqlite = await StartAsync(servers, "127.0.0.5");
            LoopbackServer single = await StartAsync(servers, "127.0.0.6", "--cluster-init");
            List<LoopbackServer> three = [await StartAsync(servers, Addresses[0], "--cluster-init")];
            foreach (string address in Addresses[1..])
            {
                three.Add(await StartAsync(servers, address, "--server", $"https://{Addresses[0]}:6443", "--token", three[0].Token));
            }

            (string Datastore, List<LoopbackServer> Servers)[] setups = [("SQLite", [sqlite]), ("embedded etcd", [single]), ("embedded etcd", three)];
            var cells = setups.Select(_ => new List<Writers.Write>()).ToArray();
            var elapsed = new double[setups.Length];
            foreach ((_, List<LoopbackServer> targets) in setups)
            {
                _ = await Writers.RunAsync(targets, clients, TimeSpan.FromSeconds(2));
            }

            for (int round = 0; round < rounds; round++)
            {
                for (int s = 0; s < setups.Length; s++)
                {
                    var clock = Stopwatch.StartNew();
                    cells[s].AddRange(await Writers.RunAsync(setups[s].Servers, clients, window));
                    elapsed[s] += clock.Elapsed.TotalSeconds;
                }
            }

            Console.WriteLine($"# High-availability benchmark ({Environment.ProcessorCount} cores, {clients} clients, {rounds} rounds of {seconds:0.#} s per set-up, ConfigMaps of 256 B, {DateTime.UtcNow:yyyy-MM-dd})");
            Console.WriteLine();
            Console.WriteLine("| datastore | servers | creates/s | p50 ms | p99 ms | failed |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
            for (int s = 0; s < setups.Length; s++)
            {
                var latencies = cells[s].Where(w => w.Ok).Select(w => w.Milliseconds).Order().ToList();
                Console.WriteLine($"| {setups[s].Datastore} | {setups[s].Servers.Count} | {latencies.Count / elapsed[s]:N0} | {Percentile(latencies, 0.50):N1} | {Percentile(latencies, 0.99):N1} | {cells[s].Count(w => !w.Ok)} |");
            }

            Console.WriteLine();
            await FailoverAsync(three, clients);
            return 0;
        }
        finally
        {
            foreach (LoopbackServer server in servers)
            {
                await server.DisposeAsync();
            }

            Directory.Delete(root, recursive: true);
        }

        async Task<LoopbackServer> StartAsync(List<LoopbackServer> started, string address, params string[] flags)
        {
            LoopbackServer server = await LoopbackServer.StartAsync(address, root, flags);
            started.Add(server);
            return server;
        }
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(sorted.Count * p) - 1)];

    /// <summary>
    /// Kills the etcd leader's server while writers create through the other two, and times the recovery: a probe writes
    /// through the survivors (2 s per attempt) from the kill on until one is acknowledged; the writers' longest gap
    /// between acknowledged writes is the stall clients saw; the controller-manager Lease is watched until a survivor
    /// holds it. etcd's leadership is first moved to the member of the server holding that Lease, so the one killed is
    /// both (the worst case).
    /// </summary>
    private static async Task FailoverAsync(List<LoopbackServer> servers, int clients)
    {
        V1Lease lease = await servers[0].Client.CoordinationV1.ReadNamespacedLeaseAsync("kube-controller-manager", "kube-system");
        LoopbackServer holder = servers.Single(s => s.Holds(lease.Spec.HolderIdentity));
        LoopbackServer leader = await EtcdLeaderAsync(servers);
        if (leader != holder)
        {
            await leader.MoveEtcdLeaderAsync((await holder.EtcdStatusAsync()).Header.MemberId);
            leader = await EtcdLeaderAsync(servers);
        }

        List<LoopbackServer> survivors = [.. servers.Where(s => s != leader)];
        bool leaderHeldLease = leader == holder;

        using var stop = new CancellationTokenSource();
        Task<List<Writers.Write>> load = Writers.RunAsync(survivors, clients, Timeout.InfiniteTimeSpan, stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(3));
        long killedAt = Stopwatch.GetTimestamp();
        await leader.KillAsync();

        TimeSpan firstWrite = await ProbeAsync(survivors, killedAt);
        TimeSpan? leaseTaken = null;
        if (leaderHeldLease)
        {
            while (Stopwatch.GetElapsedTime(killedAt) < TimeSpan.FromSeconds(90))
            {
                try
                {
                    V1Lease now = await survivors[0].Client.CoordinationV1.ReadNamespacedLeaseAsync("kube-controller-manager", "kube-system");
                    if (survivors.Any(s => s.Holds(now.Spec.HolderIdentity)))
                    {
                        leaseTaken = Stopwatch.GetElapsedTime(killedAt);
                        break;
                    }
                }
                catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException)
                {
                }

                await Task.Delay(100);
            }
        }
        else
        {
            // Let the writers run past the kill for as long either way, so the stall is measured over a like window.
            await Task.Delay(TimeSpan.FromSeconds(5));
        }

        await stop.CancelAsync();
        List<Writers.Write> writes = await load;
        var acknowledged = writes.Where(w => w.Ok).Select(w => w.EndedAt).Order().ToList();
        double stall = acknowledged.Zip(acknowledged.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a, b).TotalMilliseconds).DefaultIfEmpty(double.NaN).Max();
        var failed = writes.Where(w => !w.Ok && w.EndedAt > killedAt).GroupBy(w => w.Error).Select(g => $"{g.Key} ×{g.Count()}").ToList();

        Console.WriteLine($"Failover: kill -9 of the server of the etcd leader ({leader.Address}) under {clients} writers creating through the other two:");
        Console.WriteLine();
        Console.WriteLine("| after kill -9 of the etcd leader's server | Navarch | Kubernetes default it follows |");
        Console.WriteLine("| --- | ---: | --- |");
        Console.WriteLine($"| first write acknowledged (sent after the kill, through a survivor) | {firstWrite.TotalMilliseconds:N0} ms | etcd election timeout 1,000 ms |");
        Console.WriteLine($"| longest stall between acknowledged writes (all writers) | {stall:N0} ms | |");
        Console.WriteLine($"| writes failed after the kill (errors returned to clients) | {(failed.Count == 0 ? "none" : string.Join(", ", failed))} | |");
        Console.WriteLine(leaderHeldLease
            ? $"| controller-manager Lease held by a survivor | {(leaseTaken is { } t ? $"{t.TotalSeconds:N1} s" : "not within 90 s")} | lease duration 15 s |"
            : "| controller-manager Lease held by a survivor | (a survivor held it already) | lease duration 15 s |");
    }

    private static async Task<LoopbackServer> EtcdLeaderAsync(List<LoopbackServer> servers)
    {
        for (int attempt = 0; ; attempt++)
        {
            foreach (LoopbackServer server in servers)
            {
                StatusResponse status = await server.EtcdStatusAsync();
                if (status.Leader == status.Header.MemberId)
                {
                    return server;
                }
            }

            if (attempt == 50)
            {
                throw new InvalidOperationException("no etcd member leads");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Creates through the survivors in turn, each attempt bounded by 2 s, until one is acknowledged; the time since the kill.</summary>
    private static async Task<TimeSpan> ProbeAsync(List<LoopbackServer> survivors, long killedAt)
    {
        for (int i = 0; ; i++)
        {
            using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await survivors[i % survivors.Count].Client.CoreV1.CreateNamespacedConfigMapAsync(Writers.ConfigMap($"probe-{i}"), "default", cancellationToken: attempt.Token);
                return Stopwatch.GetElapsedTime(killedAt);
            }
            catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or OperationCanceledException)
            {
                if (Stopwatch.GetElapsedTime(killedAt) > TimeSpan.FromMinutes(2))
                {
                    throw new InvalidOperationException("no write acknowledged within 2 minutes of the kill", e);
                }
            }
        }
    }
}
