using System.Diagnostics;
using System.Text.Json;
using Navarch.Testing;

namespace Navarch.E2E.Tests;

/// <summary>
/// `navarch server` WITH its agent (kubelet + a supervised containerd) as a child process: unique node name, bridge,
/// cluster CIDR and kubelet port, the pause and busybox images built from Debian packages by scripts/lib/images.sh.
/// Dispose deletes the pods (so their sandboxes and network namespaces go), stops the server with SIGTERM (the agent
/// stops containerd), then runs `navarch killall` on its data dir (shims, mounts, namespaces, bridge, chains) and removes it.
/// </summary>
public class NavarchNode : IAsyncLifetime, ITestCluster
{
    private readonly string _suffix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
    private readonly string[] _extraArguments;
    private readonly bool _dnsOnPodBridge;
    private Process? _process;
    private string[] _arguments = [];

    public NavarchNode()
        : this([])
    {
    }

    /// <summary>
    /// A node whose server also gets <paramref name="extraArguments"/> (e.g. <c>--authorization-mode RBAC</c>); with
    /// <paramref name="dnsOnPodBridge"/>, its cluster DNS where a server puts it by default (the pod bridge, port 53)
    /// instead of a port of its own on this machine's address.
    /// </summary>
    protected NavarchNode(string[] extraArguments, bool dnsOnPodBridge = false)
    {
        _extraArguments = extraArguments;
        _dnsOnPodBridge = dnsOnPodBridge;
        DataDir = Path.Combine("/tmp", "nve-" + _suffix);
        NodeName = "e2e-" + _suffix;
    }

    public string DataDir { get; }

    public string NodeName { get; }

    public string Kubeconfig => Path.Combine(DataDir, "kubeconfig.yaml");

    public string Bridge => "nve" + _suffix;

    /// <summary>Whether the server process has ended (e.g. stopped by <c>navarch killall</c>).</summary>
    public bool ServerExited => _process is { HasExited: true };

    /// <summary>The prefix of the iptables chains this node's proxy owns.</summary>
    public string ChainPrefix => "E" + _suffix.ToUpperInvariant() + "-";

    /// <summary>The ClusterIP of this cluster's kube-dns Service.</summary>
    public string ClusterDns { get; private set; } = "";

    /// <summary>An IPv4 address of this machine (not loopback) for the node: its --node-ip, where its cluster DNS listens.</summary>
    internal static string HostIp() =>
        System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up && n.NetworkInterfaceType != System.Net.NetworkInformation.NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !System.Net.IPAddress.IsLoopback(a))
            .ToString();

    /// <summary>Writes the image tarballs an agent imports at start (pause, busybox, ...) into <paramref name="images"/>, as the repo's scripts build them.</summary>
    internal static async Task BuildImagesAsync(string images)
    {
        string binary = NavarchServer.FindBinary();
        string repo = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(binary)!, "..", "..", "..", "..", ".."));
        await TestProcesses.RunAsync("bash", ["-c", $". scripts/lib/packages.sh && . scripts/lib/images.sh && build_images '{binary}' '{images}'"], repo);
    }

    public async Task InitializeAsync()
    {
        Assert.True(Environment.UserName == "root", "the streaming end-to-end tests run containerd and must run as root");
        string binary = NavarchServer.FindBinary();
        Directory.CreateDirectory(DataDir);
        await BuildImagesAsync(Path.Combine(DataDir, "agent", "images"));

        string cidr = $"10.{100 + Random.Shared.Next(50)}.0.0/16";
        string serviceNet = $"10.{200 + Random.Shared.Next(50)}";
        string hostIp = HostIp();

        // The server takes its ports on its command line: picked now, and picked again if one is taken before it binds.
        string log = Path.Combine(DataDir, "server.log");
        long logged = 0;
        await PortRetry.StartAsync(
            async () =>
            {
                logged = File.Exists(log) ? new FileInfo(log).Length : 0;
                _arguments = [
                    binary, "server", "--data-dir", DataDir, "--https-listen-port", FreePort.Next().ToString(), "--bind-address", "127.0.0.1",
                    "--write-kubeconfig", Kubeconfig, "--node-name", NodeName, "--kubelet-port", FreePort.Next().ToString(),
                    "--cluster-cidr", cidr, "--bridge-name", Bridge,
                    // Its own Service range, DNS port and iptables chains, so fixtures side by side do not meet in the kernel.
                    "--service-cidr", serviceNet + ".0.0/16", "--cluster-dns", ClusterDns = serviceNet + ".0.10",
                    "--node-ip", hostIp, .. _dnsOnPodBridge ? [] : new[] { "--cluster-dns-bind", $"{hostIp}:{FreePort.Next()}" }, "--proxy-chain-prefix", ChainPrefix,
                    // Its components' metrics on ports of its own, so fixtures side by side each serve theirs (and Prometheus discovery names them).
                    "--kube-controller-manager-secure-port", FreePort.Next().ToString(), "--kube-scheduler-secure-port", FreePort.Next().ToString(),
                    "--cluster-dns-metrics-port", FreePort.Next().ToString(), "--kube-proxy-metrics-bind-address", $"127.0.0.1:{FreePort.Next()}",
                    .. _extraArguments,
                ];
                await StartAsync();
                return true;
            },
            _ => _process is { HasExited: true } && PortRetry.SaysAddressInUse(TestProcesses.ReadFrom(log, logged)));
    }

    /// <summary>
    /// Stops the server with SIGTERM (its agent and containerd with it; the containers live on) and starts it again
    /// on the same data dir and flags, returning once its kubelet has reported the node Ready again.
    /// </summary>
    public async Task RestartAsync()
    {
        await TestProcesses.StopAsync(_process!);
        _process = null;
        await StartAsync();
    }

    private async Task StartAsync()
    {
        DateTime started = DateTime.UtcNow.AddSeconds(-1);
        _process = TestProcesses.StartLogged("dotnet", _arguments, Path.Combine(DataDir, "server.log"));
        Process process = _process;
        await Eventually(
            async () =>
            {
                Assert.False(process.HasExited, "navarch server exited:\n" + TestProcesses.LogTails(DataDir));
                if (!File.Exists(Kubeconfig))
                {
                    return false;
                }

                // Ready as reported by this run's kubelet (a restart finds the last run's status in the store).
                Kubectl.Result node = await KubectlAsync("get", "node", NodeName, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status} {.status.conditions[?(@.type==\"Ready\")].lastHeartbeatTime}");
                return node.ExitCode == 0 && node.Stdout.Trim().Split(' ') is ["True", var heartbeat]
                    && DateTime.Parse(heartbeat, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal) >= started;
            },
            "the node is Ready",
            TimeSpan.FromSeconds(90),
            TimeSpan.FromMilliseconds(300),
            () => Task.FromResult(TestProcesses.LogTails(DataDir)));
    }

    public Task<Kubectl.Result> KubectlAsync(params string[] args) => Kubectl.RunAsync(Kubeconfig, args);

    public Task<string> DiagnosticsAsync() => TestProcesses.DiagnosticsAsync(this, DataDir);

    public virtual async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            await TestProcesses.DeletePodsAsync(Kubeconfig);
            await TestProcesses.StopAsync(_process);
        }
        else
        {
            _process?.Dispose();
        }

        // What the server left by design (its containers outlive it) or after a failure: gone, as navarch killall does it.
        await TestProcesses.TearDownAsync(DataDir, Bridge, ChainPrefix);
        if (Directory.Exists(DataDir))
        {
            Directory.Delete(DataDir, recursive: true);
        }
    }

}
