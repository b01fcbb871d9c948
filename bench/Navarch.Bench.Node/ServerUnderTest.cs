using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using k8s;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.Bench.Node;

/// <summary>
/// `navarch server` with its agent as a child process, on its own data dir, ports, bridge, Service range and iptables
/// chain prefix; disposing deletes the pods, stops it with SIGTERM and removes everything it left on the machine.
/// </summary>
internal sealed class ServerUnderTest : IAsyncDisposable
{
    private readonly string _suffix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
    private Process? _process;

    private ServerUnderTest()
    {
        DataDir = Path.Combine("/tmp", "nvb-" + _suffix);
    }

    public string DataDir { get; }

    public string Kubeconfig => Path.Combine(DataDir, "kubeconfig.yaml");

    public TimeSpan StartToReady { get; private set; }

    public Kubernetes Client { get; private set; } = null!;

    public string NodeName => "bench-" + _suffix;

    private string Bridge => "nvb" + _suffix;

    private string ChainPrefix => "B" + _suffix.ToUpperInvariant() + "-";

    private static string Binary =>
        Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Navarch", "bin", new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "navarch.dll"));

    public static string Repo => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    /// <summary>Builds the pause and busybox image tars once (scripts/lib/images.sh); returns their folder.</summary>
    public static async Task<string> BuildImagesAsync()
    {
        string dir = Path.Combine(Path.GetTempPath(), "navarch-bench-images");
        await RunAsync("bash", ["-c", $". scripts/lib/packages.sh && . scripts/lib/images.sh && build_images '{Binary}' '{dir}'"], Repo);
        return dir;
    }

    /// <summary>Starts a server on a fresh data dir with the images in place and waits until its node is Ready.</summary>
    public static async Task<ServerUnderTest> StartAsync(string images, params string[] extraArguments)
    {
        var server = new ServerUnderTest();
        try
        {
            await server.StartCoreAsync(images, extraArguments);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(string images, string[] extraArguments)
    {
        string imagesDir = Path.Combine(DataDir, "agent", "images");
        Directory.CreateDirectory(imagesDir);
        foreach (string tar in Directory.GetFiles(images, "*.tar"))
        {
            File.Copy(tar, Path.Combine(imagesDir, Path.GetFileName(tar)));
        }

        string serviceNet = $"10.{200 + Random.Shared.Next(50)}";
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in (string[])
        [
            Binary, "server", "--data-dir", DataDir, "--https-listen-port", FreePort.Next().ToString(CultureInfo.InvariantCulture), "--bind-address", "127.0.0.1",
            "--write-kubeconfig", Kubeconfig, "--node-name", NodeName, "--kubelet-port", FreePort.Next().ToString(CultureInfo.InvariantCulture),
            "--cluster-cidr", $"10.{100 + Random.Shared.Next(50)}.0.0/16", "--bridge-name", Bridge,
            "--service-cidr", serviceNet + ".0.0/16", "--cluster-dns", serviceNet + ".0.10",
            "--cluster-dns-bind", $"{HostIp()}:{FreePort.Next()}", "--proxy-chain-prefix", ChainPrefix,
            .. extraArguments,
        ])
        {
            start.ArgumentList.Add(arg);
        }

        var clock = Stopwatch.StartNew();
        _process = Process.Start(start)!;
        var log = new StreamWriter(Path.Combine(DataDir, "server.log")) { AutoFlush = true };
        _process.OutputDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        while (true)
        {
            if (_process.HasExited || clock.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new InvalidOperationException($"navarch server did not bring its node to Ready; see {Path.Combine(DataDir, "server.log")}");
            }

            if (File.Exists(Kubeconfig))
            {
                Client ??= new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig));
                try
                {
                    V1Node node = await Client.CoreV1.ReadNodeAsync(NodeName);
                    if (node.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true)
                    {
                        StartToReady = clock.Elapsed;
                        return;
                    }
                }
                catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException)
                {
                    // Not registered or not serving yet.
                }
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The server process's resident set (VmRSS).</summary>
    public long RssBytes()
    {
        string line = File.ReadLines($"/proc/{_process!.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>The server process's CPU use over <paramref name="window"/>, in cores (utime + stime).</summary>
    public async Task<double> CoresUsedAsync(TimeSpan window)
    {
        double before = CpuSeconds(ProcessId);
        var clock = Stopwatch.StartNew();
        await Task.Delay(window);
        return (CpuSeconds(ProcessId) - before) / clock.Elapsed.TotalSeconds;
    }

    /// <summary>The server process's id (the API server, controllers, scheduler, DNS, proxy and the agent's kubelet run in it).</summary>
    public int ProcessId => _process!.Id;

    /// <summary>The agent's containerd: the child of the server process named so.</summary>
    public int ContainerdId()
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out int pid) && Stat(pid) is { } stat
                && stat.Comm == "containerd" && int.Parse(stat.Fields[1], CultureInfo.InvariantCulture) == ProcessId)
            {
                return pid;
            }
        }

        throw new InvalidOperationException($"navarch server (pid {ProcessId}) runs no containerd");
    }

    /// <summary>The CPU time a process has used so far, user and system (utime + stime in /proc/PID/stat, at 100 ticks/s).</summary>
    public static double CpuSeconds(int pid)
    {
        string[] fields = Stat(pid)?.Fields ?? throw new InvalidOperationException($"process {pid} has exited");
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>A process's name and the fields of /proc/PID/stat after it (state first), or null once it is gone.</summary>
    private static (string Comm, string[] Fields)? Stat(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }

        int open = stat.IndexOf('(', StringComparison.Ordinal);
        int close = stat.LastIndexOf(')');
        return (stat[(open + 1)..close], stat[(close + 2)..].Split(' '));
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            if (Client is not null)
            {
                try
                {
                    // Graceful: the API object goes only once the kubelet removed the sandbox (and its network namespace).
                    await Client.CoreV1.DeleteCollectionNamespacedPodAsync("default");
                    var clock = Stopwatch.StartNew();
                    while ((await Client.CoreV1.ListNamespacedPodAsync("default")).Items.Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(90))
                    {
                        await Task.Delay(500);
                    }
                }
                catch (k8s.Autorest.HttpOperationException)
                {
                }
            }

            await RunAsync("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)], "/");
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        Client?.Dispose();
        _process?.Dispose();
        await RunAsync("dotnet", [Binary, "proxy", "--cleanup", "--chain-prefix", ChainPrefix], "/");
        LeftoverShims.Kill(DataDir);
        foreach (string mount in File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(DataDir + "/", StringComparison.Ordinal)).OrderByDescending(m => m.Length))
        {
            await RunAsync("umount", ["-l", mount], "/");
        }

        if (Directory.Exists($"/sys/class/net/{Bridge}"))
        {
            await RunAsync("ip", ["link", "delete", Bridge], "/");
        }

        if (Directory.Exists(DataDir))
        {
            Directory.Delete(DataDir, recursive: true);
        }
    }

    private static string HostIp() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .First(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            .ToString();

    /// <summary>kubectl with this server's admin kubeconfig, which must succeed; its output.</summary>
    public async Task<string> KubectlAsync(params string[] args)
    {
        (int code, string output, string error) = await RunAsync("kubectl", ["--kubeconfig", Kubeconfig, .. args], "/");
        return code == 0 ? output : throw new InvalidOperationException($"kubectl {string.Join(' ', args)}: {error}");
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string file, string[] args, string workingDirectory)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
