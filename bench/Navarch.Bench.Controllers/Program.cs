using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using k8s;
using k8s.Models;

namespace Navarch.Bench.Controllers;

/// <summary>
/// Controller manager benchmark with the real binary: `navarch apiserver` and `navarch controller-manager` run as
/// separate processes on loopback, so the controller manager's RSS is its own. Measures the time until a Deployment
/// scaled 0 → N has all its pods created (pods/s), the time for the garbage collector to remove them after the
/// Deployment is deleted, and the controller manager's RSS with 10k pods in the cluster.
/// Usage: Navarch.Bench.Controllers [--replicas 1000] [--big 10000].
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        int replicas = (int)ArgOr(args, "--replicas", 1000);
        int big = (int)ArgOr(args, "--big", 10_000);
        DirectoryInfo dir = Directory.CreateTempSubdirectory("navarch-bench-cm-");
        string kubeconfig = Path.Combine(dir.FullName, "kubeconfig.yaml");
        string navarch = FindBinary();
        int port = FreePort();
        using Process apiserver = Start(navarch, "apiserver", "--data-dir", Path.Combine(dir.FullName, "data"), "--https-listen-port", port.ToString(CultureInfo.InvariantCulture),
            "--bind-address", "127.0.0.1", "--write-kubeconfig", kubeconfig);
        Process? manager = null;
        try
        {
            var clock = Stopwatch.StartNew();
            Kubernetes client = await ConnectAsync(kubeconfig, apiserver);
            manager = Start(navarch, "controller-manager", "--kubeconfig", kubeconfig, "--leader-elect=false");
            await Task.Delay(2000);
            long managerIdle = Rss(manager);

            Console.WriteLine($"# Controller manager benchmark ({Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}; API server and controller manager as separate processes)");
            Console.WriteLine();
            Console.WriteLine("| step | pods | seconds | pods/s | CPU s: controller manager | CPU s: API server |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
            (double Manager, double Server) cpu = (Cpu(manager), Cpu(apiserver));
            string CpuSince()
            {
                (double m, double s) = (Cpu(manager), Cpu(apiserver));
                string cells = $"{m - cpu.Manager:0.0} | {s - cpu.Server:0.0}";
                cpu = (m, s);
                return cells;
            }

            await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("scale", 0), "default");
            await Task.Delay(500);
            CpuSince();
            double up = await ScaleAndWaitAsync(client, "scale", replicas);
            Console.WriteLine($"| Deployment scaled 0 → {replicas}: every pod created | {replicas} | {up:0.00} | {replicas / up:N0} | {CpuSince()} |");
            double gone = await DeleteAndWaitAsync(client, "scale");
            Console.WriteLine($"| Deployment deleted (background): garbage collector removed every pod | {replicas} | {gone:0.00} | {replicas / gone:N0} | {CpuSince()} |");

            await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("big", 0), "default");
            await Task.Delay(500);
            CpuSince();
            double bigUp = await ScaleAndWaitAsync(client, "big", big);
            Console.WriteLine($"| Deployment scaled 0 → {big}: every pod created | {big} | {bigUp:0.00} | {big / bigUp:N0} | {CpuSince()} |");
            await Task.Delay(5000);
            long managerBig = Rss(manager);
            long apiserverBig = Rss(apiserver);
            Console.WriteLine();
            Console.WriteLine("| process | RSS MiB |");
            Console.WriteLine("| --- | ---: |");
            Console.WriteLine($"| controller manager, idle (empty cluster) | {managerIdle / 1048576.0:0} |");
            Console.WriteLine($"| controller manager, {big:N0} pods in the cluster | {managerBig / 1048576.0:0} |");
            Console.WriteLine($"| API server, {big:N0} pods stored | {apiserverBig / 1048576.0:0} |");
            return 0;
        }
        finally
        {
            foreach (Process? p in new[] { manager, apiserver })
            {
                if (p is { HasExited: false })
                {
                    p.Kill();
                    await p.WaitForExitAsync();
                }
            }

            manager?.Dispose();
            dir.Delete(recursive: true);
        }
    }

    private static V1Deployment Deployment(string name, int replicas) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
            },
        },
    };

    private static async Task<double> ScaleAndWaitAsync(Kubernetes client, string name, int replicas)
    {
        var clock = Stopwatch.StartNew();
        await client.AppsV1.PatchNamespacedDeploymentScaleAsync(new V1Patch($"{{\"spec\":{{\"replicas\":{replicas}}}}}", V1Patch.PatchType.MergePatch), name, "default");
        // The Deployment's status.replicas counts the pods its ReplicaSets have seen: reading one small object keeps
        // the polling from loading the API server being measured.
        while (((await client.AppsV1.ReadNamespacedDeploymentAsync(name, "default")).Status?.Replicas ?? 0) < replicas)
        {
            await Task.Delay(100);
        }

        return clock.Elapsed.TotalSeconds;
    }

    private static async Task<double> DeleteAndWaitAsync(Kubernetes client, string name)
    {
        var clock = Stopwatch.StartNew();
        await client.AppsV1.DeleteNamespacedDeploymentAsync(name, "default", propagationPolicy: "Background");
        while (await CountAsync(client, name) > 0)
        {
            await Task.Delay(250);
        }

        return clock.Elapsed.TotalSeconds;
    }

    // Pods that exist (being deleted counts as gone). A limit of 1 with the remaining count keeps each poll cheap, so
    // the polling does not slow the API server it measures.
    private static async Task<int> CountAsync(Kubernetes client, string app)
    {
        V1PodList page = await client.CoreV1.ListNamespacedPodAsync("default", labelSelector: $"app={app}", limit: 1);
        return page.Items.Count + (int)(page.Metadata.RemainingItemCount ?? 0);
    }

    private static async Task<Kubernetes> ConnectAsync(string kubeconfig, Process apiserver)
    {
        for (var clock = Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(60); await Task.Delay(200))
        {
            if (apiserver.HasExited)
            {
                throw new InvalidOperationException($"navarch apiserver exited with {apiserver.ExitCode}");
            }

            if (File.Exists(kubeconfig))
            {
                try
                {
                    var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
                    await client.CoreV1.ListNamespaceAsync();
                    return client;
                }
                catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException or IOException)
                {
                }
            }
        }

        throw new TimeoutException("navarch apiserver did not become ready in 60 s");
    }

    private static Process Start(string navarch, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(navarch);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static long Rss(Process process)
    {
        string line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>User plus system CPU seconds a process has used (utime and stime of /proc/PID/stat, in clock ticks of 10 ms).</summary>
    private static double Cpu(Process process)
    {
        string stat = File.ReadAllText($"/proc/{process.Id}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    private static string FindBinary()
    {
        for (var here = new DirectoryInfo(AppContext.BaseDirectory); here is not null; here = here.Parent)
        {
            string candidate = Path.Combine(here.FullName, "src", "Navarch", "bin", "Release", "net10.0", "navarch.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("navarch.dll not found: build with -c Release first");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static double ArgOr(string[] args, string name, double fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
