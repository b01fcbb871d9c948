using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Navarch.Storage;
using Navarch.Storage.Etcd;
using Navarch.Storage.Sqlite;
using Navarch.Testing;

namespace Navarch.Bench.Snapshots;

/// <summary>
/// Snapshot benchmark: a store seeded with --keys keys of 1 KiB; 8 writers create keys for --seconds without a
/// snapshot, then for as long again while snapshots are taken back to back. Prints one Markdown row per method: the
/// snapshot's time and size, and the writers' throughput and p99 latency without and during snapshots. SQLite is
/// snapshotted both ways an online copy can be made (the backup API Navarch uses, and VACUUM INTO from another
/// connection); etcd through its Maintenance snapshot stream.
/// Usage: navarch-bench-snapshots [--seconds N] [--keys N] [--backends sqlite,etcd].
/// </summary>
internal static class Program
{
    private const int Writers = 8;

    public static async Task<int> Main(string[] args)
    {
        double seconds = 5;
        int keys = 20_000;
        string[] backends = ["sqlite", "etcd"];
        for (int i = 0; i < args.Length - 1; i++)
        {
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--keys": keys = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--backends": backends = args[i + 1].Split(','); break;
            }
        }

        TimeSpan window = TimeSpan.FromSeconds(seconds);
        string dir = Directory.CreateTempSubdirectory("navarch-bench-snap-").FullName;
        try
        {
            Console.WriteLine($"# Snapshot benchmark ({Environment.ProcessorCount} cores, {keys:N0} keys of 1 KiB, {Writers} writers, {seconds:0.#} s per phase, {DateTime.UtcNow:yyyy-MM-dd})");
            Console.WriteLine();
            Console.WriteLine("| store | snapshot | snapshots taken | time per snapshot | size | writes/s without | writes/s during | p99 without | p99 during |");
            Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (string backend in backends)
            {
                await using EtcdServer? etcd = backend == "etcd" ? await EtcdServer.StartAsync() : null;
                string database = Path.Combine(dir, "state.db");
                await using IStore store = backend == "etcd"
                    ? await EtcdStore.OpenAsync(new EtcdStoreOptions { Endpoints = etcd!.Endpoint })
                    : await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = database });
                await SeedAsync(store, keys);
                var methods = new List<(string Name, Func<string, Task> Take)> { ("store's SaveSnapshotAsync" + (backend == "etcd" ? " (Maintenance.Snapshot)" : " (backup API)"), path => ((ISnapshotSource)store).SaveSnapshotAsync(path)) };
                if (backend == "sqlite")
                {
                    methods.Add(("VACUUM INTO, another connection", path => VacuumIntoAsync(database, path)));
                }

                foreach ((string name, Func<string, Task> take) in methods)
                {
                    Phase without = await WriteAsync(store, window, null);
                    int n = 0;
                    var snapshotTimes = new List<double>();
                    long size = 0;
                    Phase during = await WriteAsync(store, window, async stop =>
                    {
                        while (!stop.IsCancellationRequested)
                        {
                            string path = Path.Combine(dir, $"snap-{n++}");
                            var clock = Stopwatch.StartNew();
                            await take(path);
                            snapshotTimes.Add(clock.Elapsed.TotalMilliseconds);
                            size = new FileInfo(path).Length;
                            File.Delete(path);
                        }
                    });
                    Console.WriteLine($"| {backend} | {name} | {snapshotTimes.Count} | {snapshotTimes.Average():N0} ms | {size / 1048576.0:N1} MiB | {without.PerSecond:N0} | {during.PerSecond:N0} | {without.P99:N1} ms | {during.P99:N1} ms |");
                }
            }

            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed record Phase(double PerSecond, double P99);

    private static async Task SeedAsync(IStore store, int keys)
    {
        byte[] value = new byte[1024];
        Random.Shared.NextBytes(value);
        int next = -1;
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < keys)
            {
                await store.CreateAsync($"/registry/seed/{i:D7}", value);
            }
        }));
    }

    /// <summary>
    /// Writers create keys for <paramref name="window"/>, with <paramref name="alongside"/> running meanwhile until they
    /// stop (with no write done in the window, the p99 shown is the window).
    /// </summary>
    private static async Task<Phase> WriteAsync(IStore store, TimeSpan window, Func<CancellationToken, Task>? alongside)
    {
        byte[] value = new byte[1024];
        string run = Guid.NewGuid().ToString("N")[..8];
        var latencies = new List<double>[Writers];
        using var stop = new CancellationTokenSource(window);
        var clock = Stopwatch.StartNew();
        Task side = alongside?.Invoke(stop.Token) ?? Task.CompletedTask;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = [];
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                long start = Stopwatch.GetTimestamp();
                await store.CreateAsync($"/registry/bench-{run}/{w}/{i:D8}", value);
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        })));
        double elapsed = clock.Elapsed.TotalSeconds;
        await side;
        var all = latencies.SelectMany(l => l).Order().ToList();
        // No write done within the window: the p99 is at least the window.
        return new Phase(all.Count / elapsed, all.Count == 0 ? elapsed * 1000 : all[(int)Math.Min(all.Count - 1, Math.Ceiling(all.Count * 0.99) - 1)]);
    }

    private static async Task VacuumIntoAsync(string database, string path)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using SqliteCommand vacuum = connection.CreateCommand();
        vacuum.CommandText = "VACUUM INTO $path";
        vacuum.Parameters.AddWithValue("$path", path);
        await vacuum.ExecuteNonQueryAsync();
    }
}
