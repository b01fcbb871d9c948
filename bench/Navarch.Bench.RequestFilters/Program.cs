using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace Navarch.Bench.RequestFilters;

/// <summary>
/// The cost of two of kube-apiserver's request filters, each beside its absence in one run: audit logging (no audit,
/// a Metadata policy, a RequestResponse policy; GET and CREATE of a ConfigMap, both stages logged to a file) and RBAC
/// with 1,000 RoleBindings (a GET by a user bound by the last of them) beside AlwaysAllow. Each configuration is its
/// own in-process server over SQLite in a temp dir, clients on HTTPS/HTTP2 over loopback; the cells are measured in
/// interleaved rounds. Usage: Navarch.Bench.RequestFilters [--seconds N] [--rounds N] [--clients N] [--bindings N].
/// </summary>
internal static class Program
{
    private const string Token = "bench-token-0123456789";
    private const string ReadPath = "/api/v1/namespaces/bench/configmaps/read";

    public static async Task<int> Main(string[] args)
    {
        TimeSpan window = TimeSpan.FromSeconds(ArgOr(args, "--seconds", 2));
        int rounds = (int)ArgOr(args, "--rounds", 6);
        int clients = (int)ArgOr(args, "--clients", 8);
        int bindings = (int)ArgOr(args, "--bindings", 1000);
        Console.WriteLine($"# Request filters benchmark ({Environment.ProcessorCount} cores, {clients} concurrent clients over HTTPS/HTTP2, {rounds} rounds of {window.TotalSeconds:0.#} s per cell, {DateTime.UtcNow:yyyy-MM-dd})");
        Console.WriteLine();
        await AuditAsync(rounds, clients, window);
        Console.WriteLine();
        await AuthorizationAsync(bindings, rounds, clients, window);
        return 0;
    }

    private static async Task AuditAsync(int rounds, int clients, TimeSpan window)
    {
        string?[] levels = [null, "Metadata", "RequestResponse"];
        var servers = new List<BenchServer>();
        try
        {
            foreach (string? level in levels)
            {
                BenchServer server = await BenchServer.StartAsync(level, "AlwaysAllow");
                servers.Add(server);
                using HttpClient setup = server.Client(token: null);
                await SetUpAsync(setup);
            }

            // A bearer token, the cheapest authentication here, so that audit's own cost shows.
            HttpClient[] http = servers.Select(s => s.Client(Token)).ToArray();
            Cell[] gets = levels.Select(_ => new Cell()).ToArray();
            Cell[] creates = levels.Select(_ => new Cell()).ToArray();
            int counter = 0;
            for (int round = 0; round < rounds; round++)
            {
                foreach (int i in Interleaved(levels.Length, round))
                {
                    HttpClient client = http[i];
                    await MeasureAsync(gets[i], clients, window, () => Send(client, HttpMethod.Get, ReadPath, null));
                    await MeasureAsync(creates[i], clients, window, () => Send(client, HttpMethod.Post, "/api/v1/namespaces/bench/configmaps", ConfigMap($"c{Interlocked.Increment(ref counter)}")));
                }
            }

            Console.WriteLine("| audit policy | GET req/s | GET p50 ms | GET p99 ms | CREATE req/s | CREATE p50 ms | CREATE p99 ms | audit log MiB |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            for (int i = 0; i < levels.Length; i++)
            {
                string log = levels[i] is null ? "–" : $"{servers[i].AuditLogBytes() / 1048576.0:0.0}";
                Console.WriteLine($"| {(levels[i] is { } level ? $"one rule, level {level}" : "none (no audit)")} | {gets[i]} | {creates[i]} | {log} |");
                http[i].Dispose();
            }
        }
        finally
        {
            foreach (BenchServer server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    private static async Task AuthorizationAsync(int bindings, int rounds, int clients, TimeSpan window)
    {
        await using BenchServer allow = await BenchServer.StartAsync(auditLevel: null, "AlwaysAllow");
        await using BenchServer rbac = await BenchServer.StartAsync(auditLevel: null, "RBAC");
        using HttpClient allowAdmin = allow.Client(token: null);
        using HttpClient allowUser = allow.Client(Token);
        using HttpClient rbacAdmin = rbac.Client(token: null);
        using HttpClient rbacUser = rbac.Client(Token);
        await SetUpAsync(allowAdmin);
        await SetUpAsync(rbacAdmin);
        await Send(rbacAdmin, HttpMethod.Post, "/apis/rbac.authorization.k8s.io/v1/namespaces/bench/roles", """{"metadata":{"name":"reader"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get"]}]}""");

        // Bindings for others first, so the authorizer has all of them to look through before the one allowing bench.
        for (int i = 0; i < bindings - 1; i++)
        {
            await Send(rbacAdmin, HttpMethod.Post, "/apis/rbac.authorization.k8s.io/v1/namespaces/bench/rolebindings", Binding($"other-{i}", $"user-{i}"));
        }

        await Send(rbacAdmin, HttpMethod.Post, "/apis/rbac.authorization.k8s.io/v1/namespaces/bench/rolebindings", Binding("bench", "bench"));
        await WaitAllowedAsync(rbacUser);

        (string Authorizer, string Who, HttpClient Client)[] rows =
        [
            ("AlwaysAllow", "bench (bearer token)", allowUser),
            ($"RBAC, {bindings:N0} RoleBindings", "bench (bearer token), bound by the last", rbacUser),
            ("AlwaysAllow", "system:admin (client certificate)", allowAdmin),
            ($"RBAC, {bindings:N0} RoleBindings", "system:admin (client certificate, system:masters)", rbacAdmin),
        ];
        Cell[] cells = rows.Select(_ => new Cell()).ToArray();
        for (int round = 0; round < rounds; round++)
        {
            foreach (int i in Interleaved(rows.Length, round))
            {
                HttpClient client = rows[i].Client;
                await MeasureAsync(cells[i], clients, window, () => Send(client, HttpMethod.Get, ReadPath, null));
            }
        }

        Console.WriteLine("| authorizer | who | GET req/s | GET p50 ms | GET p99 ms |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: |");
        for (int i = 0; i < rows.Length; i++)
        {
            Console.WriteLine($"| {rows[i].Authorizer} | {rows[i].Who} | {cells[i]} |");
        }
    }

    /// <summary>The rows' order in a round, starting one further each round, so that no row always runs first or last.</summary>
    private static IEnumerable<int> Interleaved(int rows, int round) => Enumerable.Range(0, rows).Select(i => (i + round) % rows);

    private static async Task SetUpAsync(HttpClient admin)
    {
        await Send(admin, HttpMethod.Post, "/api/v1/namespaces", """{"metadata":{"name":"bench"}}""");
        await Send(admin, HttpMethod.Post, "/api/v1/namespaces/bench/configmaps", ConfigMap("read"));
    }

    /// <summary>The authorizer reads bindings from its informers: waits until the last one has arrived.</summary>
    private static async Task WaitAllowedAsync(HttpClient http)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using HttpResponseMessage response = await http.GetAsync(new Uri(ReadPath, UriKind.Relative));
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new InvalidOperationException($"GET {ReadPath} still {(int)response.StatusCode} after 60 s");
            }

            await Task.Delay(100);
        }
    }

    private static async Task MeasureAsync(Cell cell, int clients, TimeSpan window, Func<Task<HttpResponseMessage>> request)
    {
        // A short warm-up (JIT, connections, caches) that is not counted.
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed < TimeSpan.FromMilliseconds(300))
        {
            (await request()).Dispose();
        }

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
        cell.Add(latencies.SelectMany(l => l), clock.Elapsed);
    }

    private static async Task<HttpResponseMessage> Send(HttpClient http, HttpMethod method, string path, string? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        HttpResponseMessage response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return response;
    }

    // About 1 KiB of data, so that RequestResponse has objects worth logging.
    private static string ConfigMap(string name) =>
        "{\"metadata\":{\"name\":\"" + name + "\",\"labels\":{\"app\":\"bench\"}},\"data\":{\"payload\":\"" + new string('x', 1000) + "\"}}";

    private static string Binding(string name, string user) =>
        "{\"metadata\":{\"name\":\"" + name + "\"},\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":\"reader\"},\"subjects\":[{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"User\",\"name\":\"" + user + "\"}]}";

    private static double ArgOr(string[] args, string name, double fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }
}
