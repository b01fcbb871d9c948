using System.Diagnostics;
using System.Text.Json;
using Navarch.Testing;

namespace Navarch.E2E.Tests;

/// <summary>
/// Several nodes on this one machine: `navarch server --disable-agent` on a bridge of its own, and each node a network
/// namespace joined to that bridge by a veth pair, running `navarch agent --server --token` (its own containerd,
/// kubelet and proxy, whose iptables rules and routes live in the node's namespace). Pods on different nodes reach each
/// other through the routes the agents keep (host-gw); the cluster DNS listens on the bridge address. Dispose deletes
/// the workloads and pods, stops the agents and the server by PID, and removes the namespaces, veths, bridge, mounts
/// and data dirs. The server enforces RBAC, so the agents work with their system:nodes rights only.
/// </summary>
public sealed class NetnsCluster : IAsyncLifetime, ITestCluster
{
    private const int NodeCount = 2;
    private readonly string _suffix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
    private readonly Process?[] _agents = new Process?[NodeCount];
    private readonly string _subnet = $"172.{16 + Random.Shared.Next(14)}.{Random.Shared.Next(250)}";
    private Process? _server;
    private string _serverUrl = "";
    private string _token = "";
    private string _clusterCidr = "";

    /// <summary>The scheduler's profiles: the default one, and bin-packing (NodeResourcesFit with MostAllocated).</summary>
    public const string SchedulerConfig = """
        apiVersion: kubescheduler.config.k8s.io/v1
        kind: KubeSchedulerConfiguration
        profiles:
        - schedulerName: default-scheduler
        - schedulerName: bin-packing
          plugins:
            score:
              disabled:
              - name: NodeResourcesBalancedAllocation
              enabled:
              - name: NodeResourcesFit
                weight: 5
          pluginConfig:
          - name: NodeResourcesFit
            args:
              scoringStrategy:
                type: MostAllocated
                resources:
                - {name: cpu, weight: 1}
                - {name: memory, weight: 1}
        """;

    /// <summary>The server's --node-monitor-grace-period: short, so a stopped agent's node is noticed in a test's time.</summary>
    public static TimeSpan NodeMonitorGracePeriod => TimeSpan.FromSeconds(20);

    public NetnsCluster()
    {
        DataDir = Path.Combine("/tmp", "nvm-" + _suffix);
    }

    public string DataDir { get; }

    public string Kubeconfig => Path.Combine(DataDir, "kubeconfig.yaml");

    /// <summary>The nodes' names, in order.</summary>
    public IReadOnlyList<string> Nodes => [.. Enumerable.Range(1, NodeCount).Select(NodeName)];

    /// <summary>The InternalIP of node <paramref name="index"/> (0-based), on the cluster's bridge.</summary>
    public string NodeIp(int index) => $"{_subnet}.{11 + index}";

    private string BridgeIp => $"{_subnet}.1";

    private string Bridge => "nvm" + _suffix;

    private string NodeName(int i) => $"nvm-{_suffix}-{i}";

    private string Namespace(int i) => $"nvm{_suffix}-{i}";

    public Task<Kubectl.Result> KubectlAsync(params string[] args) => Kubectl.RunAsync(Kubeconfig, args, timeout: TimeSpan.FromSeconds(150));

    public Task<string> DiagnosticsAsync() => TestProcesses.DiagnosticsAsync(this, DataDir);

    public async Task InitializeAsync()
    {
        Assert.True(Environment.UserName == "root", "the multi-node tests make network namespaces and run containerd, as root");
        string binary = NavarchServer.FindBinary();
        string repo = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(binary)!, "..", "..", "..", "..", ".."));
        string images = Path.Combine(DataDir, "images");
        Directory.CreateDirectory(DataDir);
        await TestProcesses.RunAsync("bash", ["-c", $". scripts/lib/packages.sh && . scripts/lib/images.sh && build_images '{binary}' '{images}'"], repo);

        await TestProcesses.RunAsync("ip", ["link", "add", Bridge, "type", "bridge"]);
        await TestProcesses.RunAsync("ip", ["addr", "add", BridgeIp + "/24", "dev", Bridge]);
        await TestProcesses.RunAsync("ip", ["link", "set", Bridge, "up"]);

        _clusterCidr = $"10.{150 + Random.Shared.Next(40)}.0.0/16";
        string schedulerConfig = Path.Combine(DataDir, "scheduler.yaml");
        await File.WriteAllTextAsync(schedulerConfig, SchedulerConfig);
        string tokenFile = Path.Combine(DataDir, "server", "server", "token");

        // The server takes its ports on its command line: picked now, and picked again if one is taken before it binds.
        string log = Path.Combine(DataDir, "server.log");
        long logged = 0;
        await PortRetry.StartAsync(
            async () =>
            {
                logged = File.Exists(log) ? new FileInfo(log).Length : 0;
                File.Delete(Kubeconfig);
                int port = FreePort.Next();
                _serverUrl = $"https://{BridgeIp}:{port}";
                _server = Start("dotnet", "server", [
                    binary, "server", "--disable-agent", "--data-dir", Path.Combine(DataDir, "server"), "--https-listen-port", port.ToString(),
                    "--bind-address", BridgeIp, "--write-kubeconfig", Kubeconfig, "--cluster-cidr", _clusterCidr,
                    "--cluster-dns-bind", $"{BridgeIp}:{FreePort.Next()}", "--scheduler-config", schedulerConfig,
                    "--node-monitor-grace-period", $"{NodeMonitorGracePeriod.TotalSeconds}s",
                    // As a real multi-node cluster would run: joined agents act as system:node under Node,RBAC, pods get tokens.
                    "--authorization-mode", "Node,RBAC",
                ]);
                await WaitForAsync(
                    async () => File.Exists(tokenFile) && File.Exists(Kubeconfig) && (await KubectlAsync("get", "--raw", "/readyz")).ExitCode == 0,
                    "the server's token and kubeconfig, and the server ready",
                    _server);
                return true;
            },
            _ => _server is { HasExited: true } && PortRetry.SaysAddressInUse(TestProcesses.ReadFrom(log, logged)));
        _token = File.ReadAllText(tokenFile).Trim();

        for (int i = 1; i <= NodeCount; i++)
        {
            string ns = Namespace(i), host = $"{Bridge}h{i}", inside = $"{Bridge}n{i}";
            await TestProcesses.RunAsync("ip", ["netns", "add", ns]);
            await TestProcesses.RunAsync("ip", ["link", "add", host, "type", "veth", "peer", "name", inside]);
            await TestProcesses.RunAsync("ip", ["link", "set", inside, "netns", ns]);
            await TestProcesses.RunAsync("ip", ["link", "set", host, "master", Bridge, "up"]);
            await TestProcesses.RunAsync("ip", ["-n", ns, "addr", "add", NodeIp(i - 1) + "/24", "dev", inside]);
            await TestProcesses.RunAsync("ip", ["-n", ns, "link", "set", inside, "up"]);
            await TestProcesses.RunAsync("ip", ["-n", ns, "link", "set", "lo", "up"]);
            await TestProcesses.RunAsync("ip", ["-n", ns, "route", "add", "default", "via", BridgeIp]);

            string nodeDir = Path.Combine(DataDir, $"n{i}");
            Directory.CreateDirectory(Path.Combine(nodeDir, "agent", "images"));
            foreach (string tar in Directory.GetFiles(images, "*.tar"))
            {
                File.Copy(tar, Path.Combine(nodeDir, "agent", "images", Path.GetFileName(tar)));
            }

            StartAgent(i - 1);
        }

        for (int i = 0; i < NodeCount; i++)
        {
            await WaitForReadyAsync(i);
        }
    }

    /// <summary>The agent state of node <paramref name="index"/> (0-based): its certificates and kubeconfigs.</summary>
    public string AgentDir(int index) => Path.Combine(DataDir, $"n{index + 1}", "agent");

    /// <summary>Starts node <paramref name="index"/>'s agent (0-based), which must not be running.</summary>
    public void StartAgent(int index)
    {
        Assert.True(_agents[index] is null, $"the agent of node {index} is running");
        int i = index + 1;
        string nodeDir = Path.Combine(DataDir, $"n{i}");

        // nsenter enters only the network namespace (`ip netns exec` would also remount /sys, hiding the cgroup
        // filesystem runc needs), and execs, so the PID is the agent's own.
        _agents[index] = Start("nsenter", $"agent-{i}", [
            $"--net=/run/netns/{Namespace(i)}", "dotnet", NavarchServer.FindBinary(), "agent", "--server", _serverUrl, "--token", _token,
            "--node-name", NodeName(i), "--data-dir", nodeDir, "--cluster-cidr", _clusterCidr,
        ]);
    }

    /// <summary>Stops node <paramref name="index"/>'s agent with SIGTERM, as a service manager would; its containers keep running.</summary>
    public async Task StopAgentAsync(int index)
    {
        if (_agents[index] is { } agent)
        {
            _agents[index] = null;
            await TestProcesses.StopAsync(agent);
        }
    }

    /// <summary>Waits until node <paramref name="index"/> reports Ready.</summary>
    public Task WaitForReadyAsync(int index) => WaitForAsync(
        async () => (await KubectlAsync("get", "node", Nodes[index], "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}")).Stdout.Trim() == "True",
        $"node {Nodes[index]} Ready",
        _server!);

    public async Task DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            // A test that failed with an agent stopped: start it again, so its pods are removed properly (their
            // sandboxes' network namespaces with them) rather than left behind.
            for (int i = 0; i < NodeCount; i++)
            {
                if (_agents[i] is null && Directory.Exists(Path.Combine(DataDir, $"n{i + 1}")))
                {
                    StartAgent(i);
                    try
                    {
                        await WaitForReadyAsync(i);
                    }
                    catch (Exception e) when (e is Xunit.Sdk.XunitException)
                    {
                        // Cleaning up goes on regardless.
                    }
                }
            }

            await TestProcesses.DeletePodsAsync(Kubeconfig);
        }

        for (int i = 0; i < NodeCount; i++)
        {
            await StopAgentAsync(i);
        }

        if (_server is not null)
        {
            await TestProcesses.StopAsync(_server);
        }

        for (int i = 1; i <= NodeCount; i++)
        {
            LeftoverShims.Kill(Path.Combine(DataDir, $"n{i}"));
        }

        await TestProcesses.UnmountUnderAsync(DataDir);

        for (int i = 1; i <= NodeCount; i++)
        {
            if (File.Exists($"/run/netns/{Namespace(i)}"))
            {
                await TestProcesses.RunAsync("ip", ["netns", "delete", Namespace(i)]);
            }
        }

        if (Directory.Exists($"/sys/class/net/{Bridge}"))
        {
            await TestProcesses.RunAsync("ip", ["link", "delete", Bridge]);
        }

        if (Directory.Exists(DataDir))
        {
            Directory.Delete(DataDir, recursive: true);
        }
    }

    private Process Start(string file, string name, string[] args) => TestProcesses.StartLogged(file, args, Path.Combine(DataDir, name + ".log"));


    private Task WaitForAsync(Func<Task<bool>> condition, string what, Process watched) =>
        Eventually(
            async () =>
            {
                Assert.False(watched.HasExited, $"navarch exited while waiting for {what}:\n{TestProcesses.LogTails(DataDir)}");
                return await condition();
            },
            what,
            TimeSpan.FromSeconds(120),
            TimeSpan.FromMilliseconds(300),
            () => Task.FromResult(TestProcesses.LogTails(DataDir)));

}
