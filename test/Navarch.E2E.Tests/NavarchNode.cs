using System.Diagnostics;
using System.Text.Json;
using Navarch.Testing;

namespace Navarch.E2E.Tests;

/// <summary>
/// `navarch server` WITH its agent (kubelet + a supervised containerd) as a child process: unique node name, bridge,
/// cluster CIDR and kubelet port, the pause and busybox images built from Debian packages by scripts/lib/images.sh.
/// Dispose deletes the pods (so their sandboxes and network namespaces go), stops the server with SIGTERM (the agent
/// stops containerd), then removes leftover mounts, the bridge and the data dir.
/// </summary>
public sealed class NavarchNode : IAsyncLifetime
{
    private readonly string _suffix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
    private Process? _process;

    public NavarchNode()
    {
        DataDir = Path.Combine("/tmp", "nve-" + _suffix);
        NodeName = "e2e-" + _suffix;
    }

    public string DataDir { get; }

    public string NodeName { get; }

    public string Kubeconfig => Path.Combine(DataDir, "kubeconfig.yaml");

    private string Bridge => "nve" + _suffix;

    /// <summary>The prefix of the iptables chains this node's proxy owns.</summary>
    public string ChainPrefix => "E" + _suffix.ToUpperInvariant() + "-";

    /// <summary>The ClusterIP of this cluster's kube-dns Service.</summary>
    public string ClusterDns { get; private set; } = "";

    /// <summary>The node's InternalIP as the kubelet picks it: the first IPv4 address of an interface that is up and not loopback.</summary>
    private static string HostIp() =>
        System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up && n.NetworkInterfaceType != System.Net.NetworkInformation.NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !System.Net.IPAddress.IsLoopback(a))
            .ToString();

    public async Task InitializeAsync()
    {
        Assert.True(Environment.UserName == "root", "the streaming end-to-end tests run containerd and must run as root");
        string binary = NavarchServer.FindBinary();
        string repo = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(binary)!, "..", "..", "..", "..", ".."));
        Directory.CreateDirectory(DataDir);
        await RunAsync("bash", ["-c", $". scripts/lib/packages.sh && . scripts/lib/images.sh && build_images '{binary}' '{Path.Combine(DataDir, "agent", "images")}'"], repo);

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string cidr = $"10.{100 + Random.Shared.Next(50)}.0.0/16";
        string serviceNet = $"10.{200 + Random.Shared.Next(50)}";
        foreach (string arg in new[]
        {
            binary, "server", "--data-dir", DataDir, "--https-listen-port", FreePort.Next().ToString(), "--bind-address", "127.0.0.1",
            "--write-kubeconfig", Kubeconfig, "--node-name", NodeName, "--kubelet-port", FreePort.Next().ToString(),
            "--cluster-cidr", cidr, "--bridge-name", Bridge,
            // Its own Service range, DNS port and iptables chains, so fixtures side by side do not meet in the kernel.
            "--service-cidr", serviceNet + ".0.0/16", "--cluster-dns", ClusterDns = serviceNet + ".0.10",
            "--cluster-dns-bind", $"{HostIp()}:{FreePort.Next()}", "--proxy-chain-prefix", ChainPrefix,
        })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        var log = new StreamWriter(Path.Combine(DataDir, "server.log")) { AutoFlush = true };
        _process.OutputDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { lock (log) { log.WriteLine(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(_process.HasExited, "navarch server exited");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), "the node did not become Ready in 90 s");
            if (File.Exists(Kubeconfig))
            {
                Kubectl.Result node = await KubectlAsync("get", "node", NodeName, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}");
                if (node.ExitCode == 0 && node.Stdout.Trim() == "True")
                {
                    return;
                }
            }

            await Task.Delay(300);
        }
    }

    public Task<Kubectl.Result> KubectlAsync(params string[] args) => Kubectl.RunAsync(Kubeconfig, args);

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            // Workloads, then pods, so the kubelet tears down their sandboxes and network namespaces and no controller
            // makes new ones.
            await Kubectl.RunAsync(Kubeconfig, ["delete", "deployments,replicasets,daemonsets,statefulsets,jobs,cronjobs", "--all", "-A", "--wait=false"]);
            Kubectl.Result pods = await Kubectl.RunAsync(Kubeconfig, ["get", "pods", "-A", "-o", "json"]);
            if (pods.ExitCode == 0)
            {
                foreach (JsonElement pod in JsonDocument.Parse(pods.Stdout).RootElement.GetProperty("items").EnumerateArray())
                {
                    JsonElement meta = pod.GetProperty("metadata");
                    await Kubectl.RunAsync(Kubeconfig, ["delete", "pod", "-n", meta.GetProperty("namespace").GetString()!, meta.GetProperty("name").GetString()!, "--wait=false"]);
                }

                await Kubectl.RunAsync(Kubeconfig, ["wait", "--for=delete", "pods", "--all", "-A", "--timeout=60s"], timeout: TimeSpan.FromSeconds(70));
            }

            await RunAsync("kill", ["-TERM", _process.Id.ToString()], "/");
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

        _process?.Dispose();
        LeftoverShims.Kill(DataDir);
        await RunAsync("dotnet", [NavarchServer.FindBinary(), "proxy", "--cleanup", "--chain-prefix", ChainPrefix], "/");
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

    private static async Task RunAsync(string file, string[] args, string workingDirectory)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using Process p = Process.Start(info)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0 || file is "umount" or "ip" or "kill", $"{file} {string.Join(' ', args)} failed: {await err}");
    }
}
