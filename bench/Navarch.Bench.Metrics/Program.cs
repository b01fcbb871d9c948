using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer;

namespace Navarch.Bench.Metrics;

/// <summary>
/// What the API server's metrics cost: requests/s and p99 of GET, LIST and CREATE with metrics on and off, side by side
/// (two servers in this process, measured in alternating rounds so drift hits both alike), and the time to serve one
/// /metrics scrape. Usage: Navarch.Bench.Metrics [--seconds N] [--clients N] [--rounds N].
/// With <c>--node</c>, what metrics collection costs a whole node instead (<see cref="NodeOverhead"/>; as root):
/// Navarch.Bench.Metrics --node [--window SECONDS].
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Contains("--node"))
        {
            return await NodeOverhead.RunAsync(TimeSpan.FromSeconds(ArgOr(args, "--window", 180)));
        }

        double seconds = ArgOr(args, "--seconds", 4);
        int clients = (int)ArgOr(args, "--clients", 16);
        int rounds = (int)ArgOr(args, "--rounds", 3);
        TimeSpan window = TimeSpan.FromSeconds(seconds);
        await using Server off = await Server.StartAsync(metrics: false);
        await using Server on = await Server.StartAsync(metrics: true);
        foreach (Server server in new[] { off, on })
        {
            await Send(server.Http, HttpMethod.Post, "/api/v1/namespaces", """{"metadata":{"name":"small"}}""");
            for (int i = 0; i < 100; i++)
            {
                await Send(server.Http, HttpMethod.Post, "/api/v1/namespaces/small/pods", Pod($"p{i}"));
            }
        }

        Console.WriteLine($"# API server metrics overhead ({Environment.ProcessorCount} cores, {clients} concurrent clients over HTTPS/HTTP2, {rounds} alternating rounds of {seconds:0.#} s per cell, {DateTime.UtcNow:yyyy-MM-dd})");
        Console.WriteLine();
        Console.WriteLine("| request | metrics off req/s | metrics on req/s | on/off | off p99 ms | on p99 ms |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        int counter = 0;
        var cases = new (string Name, Func<HttpClient, Task<HttpResponseMessage>> Request)[]
        {
            ("GET one pod", http => Send(http, HttpMethod.Get, "/api/v1/namespaces/small/pods/p7", null)),
            ("LIST 100 pods", http => Send(http, HttpMethod.Get, "/api/v1/namespaces/small/pods", null)),
            ("CREATE pod", http => Send(http, HttpMethod.Post, "/api/v1/namespaces/small/pods", Pod($"c{Interlocked.Increment(ref counter)}"))),
        };
        foreach ((string name, Func<HttpClient, Task<HttpResponseMessage>> request) in cases)
        {
            var offRuns = new List<(double Rate, double P99)>();
            var onRuns = new List<(double Rate, double P99)>();
            for (int round = 0; round < rounds; round++)
            {
                offRuns.Add(await MeasureAsync(clients, window, () => request(off.Http)));
                onRuns.Add(await MeasureAsync(clients, window, () => request(on.Http)));
            }

            double offRate = offRuns.Average(r => r.Rate);
            double onRate = onRuns.Average(r => r.Rate);
            Console.WriteLine($"| {name} | {offRate:N0} | {onRate:N0} | {onRate / offRate:0.00} | {offRuns.Average(r => r.P99):0.00} | {onRuns.Average(r => r.P99):0.00} |");
        }

        // One scrape: every series of the requests above plus a count of each stored resource.
        var scrapes = new List<double>();
        long bytes = 0;
        for (int i = 0; i < 20; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            using HttpResponseMessage response = await Send(on.Http, HttpMethod.Get, "/metrics", null);
            bytes = (await response.Content.ReadAsByteArrayAsync()).Length;
            scrapes.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }

        Console.WriteLine();
        Console.WriteLine($"A /metrics scrape ({bytes / 1024.0:0} KiB) takes {scrapes.Order().ElementAt(scrapes.Count / 2):0.0} ms (median of 20); at Prometheus' usual 15 s interval that is {scrapes.Order().ElementAt(scrapes.Count / 2) / 150:0.000} % of one core.");
        return 0;
    }

    private static async Task<(double Rate, double P99)> MeasureAsync(int clients, TimeSpan window, Func<Task<HttpResponseMessage>> request)
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
        double[] all = [.. latencies.SelectMany(l => l).Order()];
        return (all.Length / clock.Elapsed.TotalSeconds, all[Math.Min(all.Length - 1, (int)Math.Ceiling(0.99 * all.Length) - 1)]);
    }

    private static async Task<HttpResponseMessage> Send(HttpClient http, HttpMethod method, string path, string? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return response;
    }

    private static string Pod(string name) =>
        "{\"metadata\":{\"name\":\"" + name + "\",\"labels\":{\"app\":\"bench\"}},\"spec\":{\"containers\":[{\"name\":\"main\",\"image\":\"busybox:1.35\",\"command\":[\"sleep\",\"3600\"]}]}}";

    private static double ArgOr(string[] args, string name, double fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }
}
