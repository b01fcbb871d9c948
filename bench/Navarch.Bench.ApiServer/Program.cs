using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer;

namespace Navarch.Bench.ApiServer;

/// <summary>
/// API server benchmark over HTTPS on loopback: requests/s and p50/p99 latency of GET, LIST (100 and 10k pods),
/// CREATE and UPDATE with concurrent clients; the time for one change to reach 1000 watchers; the server's RSS
/// with 10k pods stored. The server runs in this process (so RSS is the server's plus the client's, reported as
/// such); server-side apply of a Deployment beside a strategic merge patch of the same change. Usage:
/// Navarch.Bench.ApiServer [--seconds N] [--clients N] [--apply-only] [--encodings-only [--pods N]].
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        double seconds = ArgOr(args, "--seconds", 5);
        int clients = (int)ArgOr(args, "--clients", 16);
        DirectoryInfo dir = Directory.CreateTempSubdirectory("navarch-bench-api-");
        try
        {
            await using Navarch.Storage.IStore store = await Navarch.Storage.Sqlite.SqliteStore.OpenAsync(new Navarch.Storage.Sqlite.SqliteStoreOptions { Path = Path.Combine(dir.FullName, "server", "db", "state.db"), LoggerFactory = NullLoggerFactory.Instance });
            await using var server = new Navarch.ApiServer.ApiServer(store, new ApiServerOptions { DataDir = dir.FullName, Port = 0, BindAddress = IPAddress.Loopback }, NullLoggerFactory.Instance);
            await server.StartAsync();
            using HttpClient http = Client(server);
            TimeSpan window = TimeSpan.FromSeconds(seconds);
            Console.WriteLine($"# API server benchmark ({Environment.ProcessorCount} cores, {clients} concurrent clients over HTTPS/HTTP2, {seconds:0.#} s per row, {DateTime.UtcNow:yyyy-MM-dd})");
            Console.WriteLine();
            if (args.Contains("--apply-only"))
            {
                await ApplyVersusPatchAsync(http, clients, window);
                return 0;
            }

            if (args.Contains("--encodings-only"))
            {
                await ListEncodingsAsync(http, clients, window, (int)ArgOr(args, "--pods", 10_000));
                return 0;
            }

            long rssIdle = Rss();
            await Send(http, HttpMethod.Post, "/api/v1/namespaces", """{"metadata":{"name":"small"}}""");
            await Send(http, HttpMethod.Post, "/api/v1/namespaces", """{"metadata":{"name":"big"}}""");
            for (int i = 0; i < 100; i++)
            {
                await Send(http, HttpMethod.Post, "/api/v1/namespaces/small/pods", Pod($"p{i}"));
            }

            var clock = Stopwatch.StartNew();
            await Parallel.ForAsync(0, 10_000, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) => await Send(http, HttpMethod.Post, "/api/v1/namespaces/big/pods", Pod($"p{i}")));
            double fill = clock.Elapsed.TotalSeconds;
            GC.Collect();
            long rss10k = Rss();

            var rows = new List<string>();
            int counter = 0;
            rows.Add(await MeasureAsync("GET one pod", clients, window, () => Send(http, HttpMethod.Get, "/api/v1/namespaces/small/pods/p7", null)));
            rows.Add(await MeasureAsync("LIST 100 pods", clients, window, () => Send(http, HttpMethod.Get, "/api/v1/namespaces/small/pods", null)));
            rows.Add(await MeasureAsync("LIST 100 pods as Table (kubectl get)", clients, window, () => Send(http, HttpMethod.Get, "/api/v1/namespaces/small/pods", null, "application/json;as=Table;v=v1;g=meta.k8s.io")));
            rows.Add(await MeasureAsync("LIST 10k pods", Math.Min(clients, 4), window, () => Send(http, HttpMethod.Get, "/api/v1/namespaces/big/pods", null)));
            rows.Add(await MeasureAsync("LIST 10k pods, resourceVersion=0 (watch cache)", Math.Min(clients, 4), window, () => Send(http, HttpMethod.Get, "/api/v1/namespaces/big/pods?resourceVersion=0", null)));
            rows.Add(await MeasureAsync("CREATE pod", clients, window, () => Send(http, HttpMethod.Post, "/api/v1/namespaces/small/pods", Pod($"c{Interlocked.Increment(ref counter)}"))));
            rows.Add(await MeasureAsync("UPDATE (merge patch) pod", clients, window, () => Send(http, HttpMethod.Patch, "/api/v1/namespaces/small/pods/p1", "{\"metadata\":{\"labels\":{\"n\":\"" + Interlocked.Increment(ref counter) + "\"}}}", contentType: "application/merge-patch+json")));

            Console.WriteLine("| request | req/s | p50 ms | p99 ms | Kubernetes SLO (p99) |");
            Console.WriteLine("| --- | ---: | ---: | ---: | --- |");
            rows.ForEach(Console.WriteLine);
            Console.WriteLine();
            Console.WriteLine($"Filling 10,000 pods took {fill:0.0} s ({10_000 / fill:N0} creates/s with 32 clients).");
            Console.WriteLine();
            Console.WriteLine("| process RSS (server + this client) | MiB |");
            Console.WriteLine("| --- | ---: |");
            Console.WriteLine($"| idle after start | {rssIdle / 1048576.0:0} |");
            Console.WriteLine($"| with 10,100 pods stored (after a full GC) | {rss10k / 1048576.0:0} |");
            Console.WriteLine($"| after the runs above | {Rss() / 1048576.0:0} |");
            Console.WriteLine();
            await FanOutAsync(server, http, 1000);
            Console.WriteLine();
            await ApplyVersusPatchAsync(http, clients, window);
            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task FanOutAsync(Navarch.ApiServer.ApiServer server, HttpClient http, int watchers)
    {
        string rv = await LatestRevisionAsync(http);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        // Several connections, as many clients would have; HTTP/2 multiplexes up to 100 streams on each.
        var clientsPool = Enumerable.Range(0, 20).Select(_ => Client(server)).ToArray();
        int ready = 0;
        var clock = new Stopwatch();
        Task<double>[] seen = Enumerable.Range(0, watchers).Select(i => Task.Run(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/api/v1/namespaces/small/configmaps?watch=1&resourceVersion={rv}", UriKind.Relative));
            using HttpResponseMessage response = await clientsPool[i % clientsPool.Length].SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
            Interlocked.Increment(ref ready);
            await reader.ReadLineAsync(cts.Token);
            return clock.Elapsed.TotalMilliseconds;
        })).ToArray();
        while (Volatile.Read(ref ready) < watchers)
        {
            await Task.Delay(20, cts.Token);
        }

        clock.Start();
        await Send(http, HttpMethod.Post, "/api/v1/namespaces/small/configmaps", """{"metadata":{"name":"fanout"}}""");
        double[] latencies = (await Task.WhenAll(seen)).Order().ToArray();
        Console.WriteLine($"| one change reaching {watchers} watchers | ms |");
        Console.WriteLine("| --- | ---: |");
        Console.WriteLine($"| first watcher | {latencies[0]:0.0} |");
        Console.WriteLine($"| median watcher | {latencies[watchers / 2]:0.0} |");
        Console.WriteLine($"| last watcher | {latencies[^1]:0.0} |");
        foreach (HttpClient c in clientsPool)
        {
            c.Dispose();
        }
    }

    /// <summary>
    /// One change (a new value of a label) to a Deployment per client, made by server-side apply of the whole manifest
    /// (what kubectl apply --server-side sends) and by a strategic merge patch of just the change (what client-side
    /// kubectl apply sends).
    /// </summary>
    private static async Task ApplyVersusPatchAsync(HttpClient http, int clients, TimeSpan window)
    {
        await Send(http, HttpMethod.Post, "/api/v1/namespaces", """{"metadata":{"name":"apply"}}""");
        for (int c = 0; c < clients; c++)
        {
            await Send(http, HttpMethod.Patch, $"/apis/apps/v1/namespaces/apply/deployments/d{c}?fieldManager=bench", Deployment($"d{c}", 0), contentType: "application/apply-patch+yaml");
        }

        // Requests go round the deployments, so concurrent ones rarely meet on one object.
        int counter = 0;
        string apply = await MeasureAsync("server-side apply of a Deployment", clients, window, () =>
        {
            int n = Interlocked.Increment(ref counter);
            return Send(http, HttpMethod.Patch, $"/apis/apps/v1/namespaces/apply/deployments/d{n % clients}?fieldManager=bench", Deployment($"d{n % clients}", n), contentType: "application/apply-patch+yaml");
        });
        string smp = await MeasureAsync("strategic merge patch of the same change", clients, window, () =>
        {
            int n = Interlocked.Increment(ref counter);
            return Send(http, HttpMethod.Patch, $"/apis/apps/v1/namespaces/apply/deployments/d{n % clients}?fieldManager=kubectl-client-side-apply", "{\"metadata\":{\"labels\":{\"rev\":\"" + n + "\"}}}", contentType: "application/strategic-merge-patch+json");
        });
        Console.WriteLine("| request | req/s | p50 ms | p99 ms | Kubernetes SLO (p99) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | --- |");
        Console.WriteLine(apply);
        Console.WriteLine(smp);
    }

    /// <summary>
    /// LIST of <paramref name="pods"/> pods answered in JSON and in Kubernetes' protobuf (what client-go-based
    /// controllers ask for), side by side: throughput, latency and the size of one response.
    /// </summary>
    private static async Task ListEncodingsAsync(HttpClient http, int clients, TimeSpan window, int pods)
    {
        await Send(http, HttpMethod.Post, "/api/v1/namespaces", """{"metadata":{"name":"enc"}}""");
        await Parallel.ForAsync(0, pods, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) => await Send(http, HttpMethod.Post, "/api/v1/namespaces/enc/pods", Pod($"p{i}")));
        const string Protobuf = "application/vnd.kubernetes.protobuf, application/json";
        async Task<long> BytesAsync(string accept)
        {
            using HttpResponseMessage response = await Send(http, HttpMethod.Get, "/api/v1/namespaces/enc/pods", null, accept);
            return (await response.Content.ReadAsByteArrayAsync()).LongLength;
        }

        long jsonBytes = await BytesAsync("application/json"), protobufBytes = await BytesAsync(Protobuf);
        int listers = Math.Min(clients, 4);
        string json = await MeasureAsync($"LIST {pods:N0} pods, JSON", listers, window, () => Send(http, HttpMethod.Get, "/api/v1/namespaces/enc/pods", null, "application/json"));
        string protobuf = await MeasureAsync($"LIST {pods:N0} pods, protobuf", listers, window, () => Send(http, HttpMethod.Get, "/api/v1/namespaces/enc/pods", null, Protobuf));
        Console.WriteLine("| request | req/s | p50 ms | p99 ms | Kubernetes SLO (p99) | response bytes |");
        Console.WriteLine("| --- | ---: | ---: | ---: | --- | ---: |");
        Console.WriteLine($"{json} {jsonBytes:N0} |");
        Console.WriteLine($"{protobuf} {protobufBytes:N0} |");
    }

    private static string Deployment(string name, int rev) =>
        """
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"NAME","labels":{"app":"NAME","rev":"REV"}},
         "spec":{"replicas":2,"selector":{"matchLabels":{"app":"NAME"}},"template":{"metadata":{"labels":{"app":"NAME"}},
         "spec":{"containers":[{"name":"web","image":"nginx:1.25","ports":[{"containerPort":80}],"env":[{"name":"MODE","value":"bench"}],
         "resources":{"requests":{"cpu":"100m","memory":"64Mi"}}}]}}}}
        """.Replace("NAME", name, StringComparison.Ordinal).Replace("REV", rev.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private static async Task<string> LatestRevisionAsync(HttpClient http)
    {
        string list = await (await Send(http, HttpMethod.Get, "/api/v1/namespaces/small/configmaps", null)).Content.ReadAsStringAsync();
        using var doc = System.Text.Json.JsonDocument.Parse(list);
        return doc.RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString()!;
    }

    private static async Task<string> MeasureAsync(string name, int clients, TimeSpan window, Func<Task<HttpResponseMessage>> request)
    {
        var latencies = new List<double>[clients];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var mine = latencies[c] = [];
            while (clock.Elapsed < window)
            {
                long t0 = Stopwatch.GetTimestamp();
                using HttpResponseMessage response = await request();
                await response.Content.LoadIntoBufferAsync();
                mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
        })));
        double[] all = latencies.SelectMany(l => l).Order().ToArray();
        string slo = name.StartsWith("LIST", StringComparison.Ordinal) ? "≤ 30 s (cluster-scope list)" : "≤ 1 s";
        return $"| {name} | {all.Length / clock.Elapsed.TotalSeconds:N0} | {Percentile(all, 0.5):0.00} | {Percentile(all, 0.99):0.00} | {slo} |";
    }

    private static async Task<HttpResponseMessage> Send(HttpClient http, HttpMethod method, string path, string? body, string? accept = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }

        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        HttpResponseMessage response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return response;
    }

    private static string Pod(string name) =>
        "{\"metadata\":{\"name\":\"" + name + "\",\"labels\":{\"app\":\"bench\"}},\"spec\":{\"containers\":[{\"name\":\"main\",\"image\":\"busybox:1.35\",\"command\":[\"sleep\",\"3600\"],\"resources\":{\"requests\":{\"cpu\":\"10m\",\"memory\":\"16Mi\"}}}]}}";

    private static HttpClient Client(Navarch.ApiServer.ApiServer server)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is System.Security.Cryptography.X509Certificates.X509Certificate2 c && server.Pki.IsSignedByCa(c), ClientCertificates = [server.Pki.Admin] },
            EnableMultipleHttp2Connections = true,
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{server.Port}"), DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
    }

    private static long Rss() => Process.GetCurrentProcess().WorkingSet64;

    private static double ArgOr(string[] args, string name, double fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
}
