using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer;
using Navarch.Client;
using Navarch.Kubelet.Logs;
using Navarch.Storage;
using Navarch.Storage.Sqlite;

namespace Navarch.Bench.Logging;

/// <summary>
/// Log shipping: lines/s from one container's CRI log file to the central log store, and the agent's CPU per 10k
/// lines/s. The API server (with its log store) runs in this process; the shipper runs alone in a child process (this
/// program with <c>--ship</c>) so that its CPU time is the agent's alone. Usage: Navarch.Bench.Logging [--backlog N]
/// [--seconds N] [--rates 0,1000,10000].
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--ship")
        {
            return await ShipAsync(args[1], args[2]);
        }

        int backlog = (int)ArgOr(args, "--backlog", 200_000);
        double seconds = ArgOr(args, "--seconds", 10);
        int[] rates = (args.SkipWhile(a => a != "--rates").Skip(1).FirstOrDefault() ?? "0,1000,10000").Split(',').Select(int.Parse).ToArray();
        DirectoryInfo dir = Directory.CreateTempSubdirectory("navarch-bench-logging-");
        IStore store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(dir.FullName, "server", "db", "state.db"), LoggerFactory = NullLoggerFactory.Instance });
        var server = new Navarch.ApiServer.ApiServer(store, new ApiServerOptions { DataDir = dir.FullName, Port = 0, BindAddress = IPAddress.Loopback, AuthorizationMode = "Node,RBAC" }, NullLoggerFactory.Instance);
        await server.StartAsync();
        try
        {
            string kubeconfig = Path.Combine(dir.FullName, "node.kubeconfig");
            await File.WriteAllTextAsync(kubeconfig, server.ClientKubeconfig("system:node:bench", "system:nodes"));
            using var admin = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(new FileInfo(Path.Combine(dir.FullName, "server", "cred", "admin.kubeconfig"))));
            Console.WriteLine($"# Log shipping ({Environment.ProcessorCount} cores; one container's CRI log file → the agent's shipper in its own process → the API server's log store over HTTPS; {DateTime.UtcNow:yyyy-MM-dd})");
            Console.WriteLine();
            Console.WriteLine("| scenario | lines | wall s | lines/s stored | agent CPU s | agent CPU % of a core | agent CPU per 10k lines/s |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
            int pod = 0;

            // A backlog shipped as fast as it goes: the throughput.
            {
                string podLogs = Path.Combine(dir.FullName, $"pods-{pod}");
                string file = LogFile(podLogs, pod);
                await using (var writer = new StreamWriter(file))
                {
                    for (int i = 0; i < backlog; i++)
                    {
                        await writer.WriteAsync(Line(i));
                    }
                }

                var watch = Stopwatch.StartNew();
                double cpu = await RunShipperAsync(kubeconfig, podLogs, () => CountAsync(admin, pod, backlog), 0);
                double wall = watch.Elapsed.TotalSeconds;
                // Shipping as fast as it can: the CPU per line, times 10k lines, is the share of a core 10k lines/s take.
                Row($"backlog of {backlog:N0} lines", backlog, wall, cpu, cpu / backlog * 10_000);
                pod++;
            }

            // A container writing at a steady rate: the agent's CPU for that rate (the idle row is the baseline).
            double idleCpuPerSecond = 0;
            foreach (int rate in rates)
            {
                string podLogs = Path.Combine(dir.FullName, $"pods-{pod}");
                string file = LogFile(podLogs, pod);
                await File.WriteAllTextAsync(file, "");
                int total = (int)(rate * seconds);
                int current = pod;
                var watch = Stopwatch.StartNew();
                Task<double> shipping = RunShipperAsync(kubeconfig, podLogs, () => CountAsync(admin, current, total, mustWait: watch.Elapsed.TotalSeconds < seconds), seconds);
                await using (var writer = new StreamWriter(file, append: true) { AutoFlush = false })
                {
                    int written = 0;
                    while (written < total)
                    {
                        int due = Math.Min(total, (int)(rate * watch.Elapsed.TotalSeconds));
                        for (; written < due; written++)
                        {
                            await writer.WriteAsync(Line(written));
                        }

                        await writer.FlushAsync();
                        await Task.Delay(50);
                    }
                }

                double cpu = await shipping;
                double wall = watch.Elapsed.TotalSeconds;
                if (rate == 0)
                {
                    idleCpuPerSecond = cpu / wall;
                }

                // Above the idle shipper's share (start-up, a scan a second), scaled to 10k lines/s.
                Row($"{rate:N0} lines/s for {seconds:0} s", total, wall, cpu, rate > 0 ? Math.Max(0, (cpu / wall) - idleCpuPerSecond) * 10_000 / rate : null);
                pod++;
            }
        }
        finally
        {
            await server.DisposeAsync();
            await store.DisposeAsync();
            dir.Delete(recursive: true);
        }

        return 0;
    }

    /// <summary>One row; <paramref name="per10k"/> is the agent's CPU (a share of one core) for 10k lines/s, or null.</summary>
    private static void Row(string scenario, int lines, double wall, double cpu, double? per10k)
    {
        string per = per10k is { } value ? string.Create(CultureInfo.InvariantCulture, $"{value * 100:0.0} %") : "-";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {scenario} | {lines:N0} | {wall:0.0} | {lines / wall:N0} | {cpu:0.00} | {cpu / wall * 100:0.0} % | {per} |"));
    }

    private static string LogFile(string podLogs, int pod)
    {
        string dir = Path.Combine(podLogs, $"bench_talker-{pod}_uid-{pod}", "talk");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, "0.log");
    }

    private static string Line(int i) => string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffffff}00Z stdout F talker line {i} lorem ipsum dolor sit amet consectetur adipiscing elit\n");

    /// <summary>Whether the store holds <paramref name="expected"/> lines of the pod (the tail's last line is the last written).</summary>
    private static async Task<bool> CountAsync(Kubernetes admin, int pod, int expected, bool mustWait = false)
    {
        if (mustWait || expected == 0)
        {
            return !mustWait;
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/apis/logging.navarch.io/v1/namespaces/bench/containerlogs?fieldSelector=metadata.name%3Dtalker-{pod}&tailLines=1", UriKind.Relative));
        using HttpResponseMessage response = await new RawApi(admin).SendAsync(request, HttpCompletionOption.ResponseContentRead, CancellationToken.None);
        using JsonDocument list = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return list.RootElement.GetProperty("items").EnumerateArray().Any(i => i.GetProperty("message").GetString()!.StartsWith($"talker line {expected - 1} ", StringComparison.Ordinal));
    }

    /// <summary>Runs the shipper in a child process until <paramref name="done"/>; returns the child's CPU seconds.</summary>
    private static async Task<double> RunShipperAsync(string kubeconfig, string podLogs, Func<Task<bool>> done, double atLeastSeconds)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (string arg in new[] { typeof(Program).Assembly.Location, "--ship", kubeconfig, podLogs })
        {
            start.ArgumentList.Add(arg);
        }

        using Process child = Process.Start(start)!;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed.TotalSeconds < atLeastSeconds || !await done())
        {
            // Each check reads the store (it has no index): seldom, so the server is left to the shipper.
            await Task.Delay(500);
        }

        // Stdin closed: the child stops and prints its CPU time.
        child.StandardInput.Close();
        string output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        return double.Parse(output.Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>The child: ships until its standard input closes, then prints its own CPU seconds.</summary>
    private static async Task<int> ShipAsync(string kubeconfig, string podLogs)
    {
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(new FileInfo(kubeconfig)));
        var api = new RawApi(client);
        var shipper = new ContainerLogShipper(podLogs, Path.Combine(podLogs, "..", Path.GetFileName(podLogs) + "-state"), "bench", _ => null, (batch, ct) => ContainerLogBatchSender.SendAsync(api, batch, ct), TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        Task running = shipper.RunAsync(stop.Token);
        await Console.In.ReadToEndAsync();
        await stop.CancelAsync();
        await running;
        Console.WriteLine(Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    private static double ArgOr(string[] args, string name, double fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
