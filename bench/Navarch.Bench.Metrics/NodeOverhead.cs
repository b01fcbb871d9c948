using System.Diagnostics;
using System.Globalization;
using k8s;
using k8s.Models;
using Navarch.Bench.Node;
using Navarch.Testing;

namespace Navarch.Bench.Metrics;

/// <summary>
/// What collecting metrics costs a node: `navarch server` with its agent (the node benchmark's harness) and 100 sleeping
/// busybox pods, the CPU seconds of the server process (control plane and the agent's kubelet, proxy and DNS, which run
/// in it) and of the agent's containerd over a fixed window — once on a server started with
/// <c>--metric-resolution 0s</c> (the built-in metrics.k8s.io source reads no kubelet) and nothing scraped, then on a
/// server with the default 15 s resolution, first alone and then with every metrics endpoint scraped every 15 s as a
/// Prometheus would, with the shipped <c>examples/prometheus/rbac.yaml</c> ServiceAccount's token.
/// </summary>
internal static class NodeOverhead
{
    private const int Pods = 100;

    private static readonly TimeSpan ScrapeInterval = TimeSpan.FromSeconds(15);

    public static async Task<int> RunAsync(TimeSpan window)
    {
        string images = await ServerUnderTest.BuildImagesAsync();
        string loadBefore = await File.ReadAllTextAsync("/proc/loadavg");
        var rows = new List<(string Setting, Usage Usage)>();
        (Usage none, _) = await OnServerAsync(images, "0s", window, scrape: false);
        rows.Add(("nothing scraped; metrics.k8s.io off (`--metric-resolution 0s`)", none));
        (Usage resourceMetrics, Usage scraped) = await OnServerAsync(images, "15s", window, scrape: true);
        rows.Add(("metrics.k8s.io only (the server's default 15 s resolution)", resourceMetrics));
        rows.Add(("metrics.k8s.io + every endpoint scraped every 15 s", scraped));
        string loadAfter = await File.ReadAllTextAsync("/proc/loadavg");

        Console.WriteLine();
        Console.WriteLine(FormattableString.Invariant($"# Metrics collection overhead on a node ({Environment.ProcessorCount} cores, {Pods} pods running, {window.TotalSeconds:0} s per window, {DateTime.UtcNow:yyyy-MM-dd})"));
        Console.WriteLine();
        Console.WriteLine("| setting | server CPU s | server % of a core | containerd CPU s | containerd % of a core | server ratio | containerd ratio |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach ((string setting, Usage usage) in rows)
        {
            Console.WriteLine(FormattableString.Invariant(
                $"| {setting} | {usage.Server:0.00} | {100 * usage.Server / usage.Seconds:0.0} % | {usage.Containerd:0.00} | {100 * usage.Containerd / usage.Seconds:0.0} % | {usage.Server / usage.Seconds / (none.Server / none.Seconds):0.00} | {usage.Containerd / usage.Seconds / (none.Containerd / none.Seconds):0.00} |"));
        }

        Console.WriteLine();
        Console.WriteLine($"load average (1, 5, 15 min) before: {loadBefore.Trim()}; after: {loadAfter.Trim()}");
        return 0;
    }

    /// <summary>
    /// A server at <paramref name="resolution"/> with <see cref="Pods"/> Ready pods: its usage over a window without
    /// scraping, and when <paramref name="scrape"/> then over a window with every endpoint scraped.
    /// </summary>
    private static async Task<(Usage Quiet, Usage Scraped)> OnServerAsync(string images, string resolution, TimeSpan window, bool scrape)
    {
        var ports = new ComponentPorts(FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next());
        await using ServerUnderTest server = await ServerUnderTest.StartAsync(images, [.. ports.Arguments, "--metric-resolution", resolution]);
        Kubernetes client = server.Client;
        await Task.WhenAll(Enumerable.Range(0, Pods).Select(i => client.CoreV1.CreateNamespacedPodAsync(SleepPod($"sleep-{i}"), "default")));
        await Polling.Eventually(
            async () => (await client.CoreV1.ListNamespacedPodAsync("default")).Items.Count(p => p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true),
            ready => ready == Pods,
            $"{Pods} pods Ready",
            TimeSpan.FromMinutes(5),
            TimeSpan.FromSeconds(1));

        // Start-up work (image imports, the pods' first status writes, JIT) settles before anything is measured.
        await Task.Delay(TimeSpan.FromSeconds(30));
        Usage quiet = await MeasureAsync(server, window, null);
        if (!scrape)
        {
            return (quiet, quiet);
        }

        using var scraper = await Scraper.StartAsync(server, ports);
        Usage scraped = await MeasureAsync(server, window, scraper);
        Console.WriteLine($"scraped {scraper.Rounds} rounds of {scraper.Targets.Count} endpoints ({scraper.Bytes / scraper.Rounds / 1024.0:0} KiB a round): {string.Join(", ", scraper.Targets)}");
        return (quiet, scraped);
    }

    private static async Task<Usage> MeasureAsync(ServerUnderTest server, TimeSpan window, Scraper? scraper)
    {
        int containerd = server.ContainerdId();
        double serverBefore = ServerUnderTest.CpuSeconds(server.ProcessId);
        double containerdBefore = ServerUnderTest.CpuSeconds(containerd);
        var clock = Stopwatch.StartNew();
        if (scraper is null)
        {
            await Task.Delay(window);
        }
        else
        {
            await scraper.RunAsync(window, ScrapeInterval);
        }

        return new Usage(clock.Elapsed.TotalSeconds, ServerUnderTest.CpuSeconds(server.ProcessId) - serverBefore, ServerUnderTest.CpuSeconds(containerd) - containerdBefore);
    }

    private static V1Pod SleepPod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["bench"] = "metrics" } },
        Spec = new V1PodSpec
        {
            TerminationGracePeriodSeconds = 1,
            Containers = [new V1Container { Name = "main", Image = "busybox:1.35", ImagePullPolicy = "IfNotPresent", Command = ["sleep", "3600"] }],
        },
    };

    /// <summary>CPU seconds used over a window of <see cref="Seconds"/>.</summary>
    private sealed record Usage(double Seconds, double Server, double Containerd);
}
