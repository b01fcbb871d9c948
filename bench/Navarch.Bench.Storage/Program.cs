using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Navarch.Storage;
using Navarch.Storage.Etcd;
using Navarch.Storage.Sqlite;
using Navarch.Testing;

namespace Navarch.Bench.Storage;

/// <summary>
/// Store benchmark: creates/s, CAS updates/s, gets/s and watch delivery latency with 1, 8 and 64 concurrent
/// writers, a 10k-key list, for SQLite and etcd in one run, beside the raw SQLite insert rate at the same
/// durability. Prints Markdown tables. Usage: navarch-bench-storage [--seconds N] [--backends sqlite,etcd].
/// </summary>
internal static class Program
{
    private static readonly int[] WriterCounts = [1, 8, 64];

    public static async Task<int> Main(string[] args)
    {
        double seconds = 3;
        string[] backends = ["sqlite", "etcd"];
        for (int i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--seconds")
            {
                seconds = double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--backends")
            {
                backends = args[i + 1].Split(',');
            }
        }

        TimeSpan window = TimeSpan.FromSeconds(seconds);
        string dir = Directory.CreateTempSubdirectory("navarch-bench-").FullName;
        try
        {
            Console.WriteLine($"# Store benchmark ({Environment.ProcessorCount} cores, {seconds:0.#} s per cell, {DateTime.UtcNow:yyyy-MM-dd})");
            Console.WriteLine();
            Console.WriteLine("## Raw SQLite inserts (WAL, synchronous=FULL), the physical reference");
            Console.WriteLine();
            Console.WriteLine("| mode | inserts/s |");
            Console.WriteLine("| --- | ---: |");
            double perTxn = RawSqlite(Path.Combine(dir, "raw1.db"), 1, window);
            double batched = RawSqlite(Path.Combine(dir, "raw100.db"), 100, window);
            Console.WriteLine($"| one transaction per insert | {perTxn:N0} |");
            Console.WriteLine($"| 100 inserts per transaction | {batched:N0} |");
            Console.WriteLine();

            var rows = new List<string>();
            var lists = new List<string>();
        var compactions = new List<string>();
            foreach (string backend in backends)
            {
                await using EtcdServer? etcd = backend == "etcd" ? await EtcdServer.StartAsync() : null;
                await using IStore store = backend switch
                {
                    "sqlite" => await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(dir, "store.db") }),
                    "etcd" => await EtcdStore.OpenAsync(new EtcdStoreOptions { Endpoints = etcd!.Endpoint }),
                    _ => throw new ArgumentException($"unknown backend {backend}"),
                };
                foreach (int writers in WriterCounts)
                {
                    string p = $"/bench/{backend}/{writers}/";
                    double creates = await CreatesAsync(store, p + "c/", writers, window);
                    double updates = await UpdatesAsync(store, p + "u/", writers, window);
                    double gets = await GetsAsync(store, p + "c/", writers, window);
                    (double p50, double p99) = await WatchLatencyAsync(store, p + "w/", writers, window);
                    rows.Add($"| {backend} | {writers} | {creates:N0} | {updates:N0} | {gets:N0} | {p50:0.00} | {p99:0.00} |");
                    if (backend == "sqlite" && writers == 64)
                    {
                        rows.Add($"| sqlite 64-writer creates ÷ raw one-txn-per-insert | | **{creates / perTxn:0.0}×** | | | | |");
                    }
                }

                (double full, double paged) = await ListAsync(store, $"/bench/{backend}/list/", 10_000);
                lists.Add($"| {backend} | {full:0.0} | {paged:0.0} |");
                compactions.Add(await CompactionStallAsync(store, $"/bench/{backend}/compact/", backend, window));
            }

            Console.WriteLine("## Store operations");
            Console.WriteLine();
            Console.WriteLine("| backend | writers | creates/s | CAS updates/s | gets/s | watch p50 ms | watch p99 ms |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
            rows.ForEach(Console.WriteLine);
            Console.WriteLine();
            Console.WriteLine("## List of 10,000 keys");
            Console.WriteLine();
            Console.WriteLine("| backend | one call, ms | pages of 500, ms |");
            Console.WriteLine("| --- | ---: | ---: |");
            lists.ForEach(Console.WriteLine);
            Console.WriteLine();
            Console.WriteLine("## Compaction under load (8 writers; 50,000 superseded history rows compacted away)");
            Console.WriteLine();
            Console.WriteLine("| backend | compaction s | write p99 ms, no compaction | write p99 ms, while compacting | max write ms, while compacting |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
            compactions.ForEach(Console.WriteLine);
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double RawSqlite(string path, int perTransaction, TimeSpan window)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using (SqliteCommand pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB);";
            pragma.ExecuteNonQuery();
        }

        byte[] value = new byte[256];
        long n = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < window)
        {
            using SqliteTransaction tx = connection.BeginTransaction();
            using SqliteCommand insert = connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO kv (k, v) VALUES ($k, $v)";
            SqliteParameter k = insert.Parameters.Add("$k", SqliteType.Text);
            insert.Parameters.AddWithValue("$v", value);
            for (int i = 0; i < perTransaction; i++)
            {
                k.Value = $"/raw/{n++}";
                insert.ExecuteNonQuery();
            }

            tx.Commit();
        }

        return n / clock.Elapsed.TotalSeconds;
    }

    private static async Task<double> RunForAsync(int workers, TimeSpan window, Func<int, Func<bool>, Task<long>> work)
    {
        var clock = Stopwatch.StartNew();
        long[] counts = await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(() => work(w, () => clock.Elapsed < window))));
        return counts.Sum() / clock.Elapsed.TotalSeconds;
    }

    private static readonly byte[] Value = new byte[256];

    private static Task<double> CreatesAsync(IStore store, string prefix, int writers, TimeSpan window) =>
        RunForAsync(writers, window, async (w, running) =>
        {
            long n = 0;
            while (running())
            {
                await store.CreateAsync($"{prefix}{w}/{n}", Value);
                n++;
            }

            return n;
        });

    private static Task<double> UpdatesAsync(IStore store, string prefix, int writers, TimeSpan window) =>
        RunForAsync(writers, window, async (w, running) =>
        {
            KeyValue kv = await store.CreateAsync($"{prefix}{w}", Value);
            long n = 0;
            while (running())
            {
                kv = await store.UpdateAsync(kv.Key, Value, kv.ModRevision);
                n++;
            }

            return n;
        });

    private static async Task<double> GetsAsync(IStore store, string prefix, int readers, TimeSpan window)
    {
        ListResult keys = await store.ListAsync(prefix, new ListOptions(Limit: 1000));
        string[] names = keys.Items.Select(k => k.Key).ToArray();
        return await RunForAsync(readers, window, async (w, running) =>
        {
            long n = 0;
            var random = new Random(w);
            while (running())
            {
                _ = await store.GetAsync(names[random.Next(names.Length)]) ?? throw new InvalidOperationException("missing key");
                n++;
            }

            return n;
        });
    }

    private static async Task<(double P50, double P99)> WatchLatencyAsync(IStore store, string prefix, int writers, TimeSpan window)
    {
        long start = await store.GetCurrentRevisionAsync();
        var latencies = new List<double>();
        using var stop = new CancellationTokenSource();
        long written = 0;
        Task watcher = Task.Run(async () =>
        {
            await foreach (WatchEvent e in store.WatchAsync(prefix, start, stop.Token))
            {
                long sent = BitConverter.ToInt64(e.Kv.Value);
                latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                if (latencies.Count == Interlocked.Read(ref written) && stop.IsCancellationRequested)
                {
                    break;
                }
            }
        });

        await RunForAsync(writers, window, async (w, running) =>
        {
            long n = 0;
            while (running())
            {
                await store.CreateAsync($"{prefix}{w}/{n++}", BitConverter.GetBytes(Stopwatch.GetTimestamp()));
                Interlocked.Increment(ref written);
            }

            return n;
        });

        // Let the watcher drain what was written, then stop it.
        var drain = Stopwatch.StartNew();
        while (latencies.Count < Interlocked.Read(ref written) && drain.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(10);
        }

        await stop.CancelAsync();
        try
        {
            await watcher;
        }
        catch (OperationCanceledException)
        {
        }

        double[] sorted = latencies.Order().ToArray();
        return (Percentile(sorted, 0.50), Percentile(sorted, 0.99));
    }

    private static async Task<(double FullMs, double PagedMs)> ListAsync(IStore store, string prefix, int count)
    {
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
            await store.CreateAsync($"{prefix}{i:D6}", Value, null, ct));
        var full = new List<double>();
        var paged = new List<double>();
        for (int round = 0; round < 5; round++)
        {
            var clock = Stopwatch.StartNew();
            ListResult all = await store.ListAsync(prefix, new ListOptions());
            full.Add(clock.Elapsed.TotalMilliseconds);
            Check(all.Items.Count, count);

            clock.Restart();
            int seen = 0;
            string? next = null;
            do
            {
                ListResult page = await store.ListAsync(prefix, new ListOptions(Limit: 500, Continue: next));
                seen += page.Items.Count;
                next = page.Continue;
            }
            while (next is not null);
            paged.Add(clock.Elapsed.TotalMilliseconds);
            Check(seen, count);
        }

        return (Percentile([.. full.Order()], 0.5), Percentile([.. paged.Order()], 0.5));
    }

    private static async Task<string> CompactionStallAsync(IStore store, string prefix, string backend, TimeSpan window)
    {
        // History to compact: 1000 keys written 50 times each.
        await Parallel.ForAsync(0, 1000, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        {
            KeyValue kv = await store.CreateAsync($"{prefix}h/{i}", Value, null, ct);
            for (int v = 1; v < 50; v++)
            {
                kv = await store.UpdateAsync(kv.Key, Value, kv.ModRevision, null, ct);
            }
        });

        double[] baseline = await WriteLatenciesAsync(store, prefix + "a/", window, null);
        long target = await store.GetCurrentRevisionAsync();
        var compactClock = new Stopwatch();
        double[] during = await WriteLatenciesAsync(store, prefix + "b/", window, async () =>
        {
            compactClock.Start();
            await store.CompactAsync(target);
            compactClock.Stop();
        });
        return $"| {backend} | {compactClock.Elapsed.TotalSeconds:0.00} | {Percentile(baseline, 0.99):0.00} | {Percentile(during, 0.99):0.00} | {during[^1]:0.00} |";
    }

    /// <summary>Per-write latencies of 8 writers over the window, sorted; <paramref name="alongside"/> runs meanwhile.</summary>
    private static async Task<double[]> WriteLatenciesAsync(IStore store, string prefix, TimeSpan window, Func<Task>? alongside)
    {
        var all = new System.Collections.Concurrent.ConcurrentBag<double>();
        Task side = alongside is null ? Task.CompletedTask : Task.Run(alongside);
        await RunForAsync(8, window, async (w, running) =>
        {
            long n = 0;
            while (running())
            {
                long t0 = Stopwatch.GetTimestamp();
                await store.CreateAsync($"{prefix}{w}/{n++}", Value);
                all.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }

            return n;
        });
        await side;
        return [.. all.Order()];
    }

    private static void Check(int got, int want)
    {
        if (got != want)
        {
            throw new InvalidOperationException($"listed {got} keys, expected {want}");
        }
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
}
