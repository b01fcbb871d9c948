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
/// and data dirs. The server enforces RBAC, so the agents work with their system:nodes rights only. With several
/// servers (<see cref="NetnsHaCluster"/>) each runs in a network namespace of its own too (as a machine of its own:
/// etcd checks a peer's certificate against the address it connects from) with an embedded etcd: the first inits the
/// cluster, the others join it, the agents are given all of them; a server can be killed like a lost machine
/// (<see cref="KillServerAsync"/>) and started again with the same command line.
/// </summary>
public class NetnsCluster : IAsyncLifetime, ITestCluster
{
    private const int NodeCount = 2;
    private readonly string _suffix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
    private readonly Process?[] _agents = new Process?[NodeCount];
    private readonly string _subnet = $"172.{16 + Random.Shared.Next(14)}.{Random.Shared.Next(250)}";
    private readonly Process?[] _servers;
    private readonly (string File, string[] Args)[] _serverCommands;
    private readonly string[] _serverArguments;
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

    /// <summary>
    /// One server and two agents. The HPA syncs and the resource metrics are read every 2 s (Kubernetes: 15 s) so the
    /// autoscaling scenario (MultiNodeTests) sees a load step in seconds.
    /// </summary>
    public NetnsCluster()
        : this(servers: 1, "--horizontal-pod-autoscaler-sync-period", "2s", "--metric-resolution", "2s")
    {
    }

    /// <summary>
    /// A cluster of <paramref name="servers"/> servers (more than one: on an embedded etcd) and two agents; every server
    /// is also given <paramref name="serverArguments"/>.
    /// </summary>
    protected NetnsCluster(int servers, params string[] serverArguments)
    {
        _serverArguments = serverArguments;
        DataDir = Path.Combine("/tmp", "nvm-" + _suffix);
        _servers = new Process?[servers];
        _serverCommands = new (string, string[])[servers];
    }

    /// <summary>How many servers the cluster runs.</summary>
    public int ServerCount => _servers.Length;

    /// <summary>The Node name server <paramref name="index"/> (0-based) runs under, in its leader election identity.</summary>
    public string ServerNodeName(int index) => $"nvm-{_suffix}-s{index + 1}";

    /// <summary>The admin kubeconfig server <paramref name="index"/> wrote, pointing at that server.</summary>
    public string ServerKubeconfig(int index) => index == 0 ? Kubeconfig : Path.Combine(DataDir, $"kubeconfig-s{index + 1}.yaml");

    /// <summary>The data dir of server <paramref name="index"/>.</summary>
    public string ServerDataDir(int index) => Path.Combine(DataDir, index == 0 ? "server" : $"server{index + 1}");

    /// <summary>Whether server <paramref name="index"/> is running.</summary>
    public bool ServerRunning(int index) => _servers[index] is { HasExited: false };

    public string DataDir { get; }

    public string Kubeconfig => Path.Combine(DataDir, "kubeconfig.yaml");

    /// <summary>The nodes' names, in order.</summary>
    public IReadOnlyList<string> Nodes => [.. Enumerable.Range(1, NodeCount).Select(NodeName)];

    /// <summary>The InternalIP of node <paramref name="index"/> (0-based), on the cluster's bridge.</summary>
    public string NodeIp(int index) => $"{_subnet}.{11 + index}";

    private string BridgeIp => $"{_subnet}.1";

    /// <summary>Server <paramref name="index"/>'s address: the bridge's own for a single server, else .2, .3, ... in its namespace.</summary>
    private string ServerIp(int index) => ServerCount == 1 ? BridgeIp : $"{_subnet}.{2 + index}";

    private string ServerNamespace(int index) => $"nvm{_suffix}-s{index + 1}";

    private string ServerLog(int index) => Path.Combine(DataDir, index == 0 ? "server.log" : $"server{index + 1}.log");

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
        for (int i = 0; i < ServerCount && ServerCount > 1; i++)
        {
            await AddNamespaceAsync(ServerNamespace(i), $"{Bridge}s{i + 1}", $"{Bridge}t{i + 1}", ServerIp(i));
        }

        _clusterCidr = $"10.{150 + Random.Shared.Next(40)}.0.0/16";
        string schedulerConfig = Path.Combine(DataDir, "scheduler.yaml");
        await File.WriteAllTextAsync(schedulerConfig, SchedulerConfig);
        string tokenFile = Path.Combine(ServerDataDir(0), "server", "token");

        // The server takes its ports on its command line: picked now, and picked again if one is taken before it binds.
        // Several servers share the ports (each on its own address), as the endpoints of `kubernetes` have one port.
        string log = ServerLog(0);
        long logged = 0;
        int port = 0, dnsPort = 0, etcdClientPort = 0, etcdPeerPort = 0;
        await PortRetry.StartAsync(
            async () =>
            {
                logged = File.Exists(log) ? new FileInfo(log).Length : 0;
                File.Delete(Kubeconfig);
                (port, dnsPort, etcdClientPort, etcdPeerPort) = (FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next());
                _serverUrl = $"https://{ServerIp(0)}:{port}";
                _servers[0]?.Dispose();
                _servers[0] = null;
                await LaunchServerAsync(0, ServerCount == 1 ? [] : ["--cluster-init"]);
                return true;
            },
            _ => _servers[0] is { HasExited: true } && PortRetry.SaysAddressInUse(TestProcesses.ReadFrom(log, logged)));
        _token = File.ReadAllText(tokenFile).Trim();
        for (int i = 1; i < ServerCount; i++)
        {
            await LaunchServerAsync(i, ["--server", _serverUrl, "--token", _token]);
        }

        Task LaunchServerAsync(int index, string[] extra)
        {
            string[] arguments = [
                binary, "server", "--disable-agent", "--data-dir", ServerDataDir(index), "--https-listen-port", port.ToString(),
                "--bind-address", ServerIp(index), "--write-kubeconfig", ServerKubeconfig(index), "--cluster-cidr", _clusterCidr,
                "--cluster-dns-bind", $"{ServerIp(index)}:{dnsPort}", "--scheduler-config", schedulerConfig,
                "--node-monitor-grace-period", $"{NodeMonitorGracePeriod.TotalSeconds}s",
                // As a real multi-node cluster would run: joined agents act as system:node under Node,RBAC, pods get tokens.
                "--authorization-mode", "Node,RBAC", .. _serverArguments,
                .. ServerCount == 1 ? Array.Empty<string>() : [
                    "--node-name", ServerNodeName(index), "--etcd-client-port", etcdClientPort.ToString(), "--etcd-peer-port", etcdPeerPort.ToString(), .. extra],
            ];
            _serverCommands[index] = ServerCount == 1 ? ("dotnet", arguments) : ("nsenter", [$"--net=/run/netns/{ServerNamespace(index)}", "dotnet", .. arguments]);
            return StartServerAsync(index);
        }

        for (int i = 1; i <= NodeCount; i++)
        {
            await AddNamespaceAsync(Namespace(i), $"{Bridge}h{i}", $"{Bridge}n{i}", NodeIp(i - 1));

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
            $"--net=/run/netns/{Namespace(i)}", "dotnet", NavarchServer.FindBinary(), "agent",
            .. Enumerable.Range(0, ServerCount).SelectMany(s => new[] { "--server", $"https://{ServerIp(s)}:{new Uri(_serverUrl).Port}" }), "--token", _token,
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

    /// <summary>Waits until node <paramref name="index"/> reports Ready (asked of a running server).</summary>
    public Task WaitForReadyAsync(int index) => WaitForAsync(
        async () => (await Kubectl.RunAsync(ServerKubeconfig(LiveServer), ["get", "node", Nodes[index], "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"])).Stdout.Trim() == "True",
        $"node {Nodes[index]} Ready",
        _servers[LiveServer]!);

    /// <summary>
    /// Starts server <paramref name="index"/> (which must not be running) with the command line it was first started
    /// with and <paramref name="once"/> (for this start only), on its data dir, and waits until its token and kubeconfig
    /// are written and it answers /readyz.
    /// </summary>
    public Task StartServerAsync(int index, params string[] once)
    {
        Assert.True(_servers[index] is null, $"server {index} is running");
        string tokenFile = Path.Combine(ServerDataDir(index), "server", "token");
        Process server = _servers[index] = TestProcesses.StartLogged(_serverCommands[index].File, [.. _serverCommands[index].Args, .. once], ServerLog(index));
        return WaitForAsync(
            async () => File.Exists(tokenFile) && File.Exists(ServerKubeconfig(index)) && (await Kubectl.RunAsync(ServerKubeconfig(index), ["get", "--raw", "/readyz"])).ExitCode == 0,
            $"server {index}'s token and kubeconfig, and the server ready",
            server);
    }

    /// <summary>Stops server <paramref name="index"/> with SIGTERM, as a service manager would (it stops its etcd), by PID.</summary>
    public async Task StopServerAsync(int index)
    {
        if (_servers[index] is { } server)
        {
            _servers[index] = null;
            await TestProcesses.StopAsync(server);
        }

        // An etcd the server did not stop in time goes as a lost machine's would.
        await KillServerAsync(index);
    }

    /// <summary>The machine of server <paramref name="index"/> is lost: SIGKILL to the server and to its etcd, by PID.</summary>
    public async Task KillServerAsync(int index)
    {
        if (_servers[index] is { } server)
        {
            _servers[index] = null;
            if (!server.HasExited)
            {
                server.Kill();
                await server.WaitForExitAsync();
            }

            server.Dispose();
        }

        // Read once the server is dead: it starts no etcd after that, and the PID file of the one it started is there.
        string pidFile = Path.Combine(ServerDataDir(index), "server", "db", "etcd.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out int etcd)
            && File.Exists($"/proc/{etcd}/comm") && File.ReadAllText($"/proc/{etcd}/comm").Trim() == "etcd")
        {
            using Process process = Process.GetProcessById(etcd);
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary>The index of a running server (the first).</summary>
    private int LiveServer => Math.Max(0, Array.FindIndex(_servers, s => s is { HasExited: false }));

    public async Task DisposeAsync()
    {
        if (_servers[LiveServer] is { HasExited: false })
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

            await TestProcesses.DeletePodsAsync(ServerKubeconfig(LiveServer));
        }

        for (int i = 0; i < NodeCount; i++)
        {
            await StopAgentAsync(i);
        }

        for (int i = _servers.Length - 1; i >= 0; i--)
        {
            if (_servers[i] is { } server)
            {
                await TestProcesses.StopAsync(server);
                _servers[i] = null;
            }

            // An etcd its server did not stop (killed, or killed after 30 s) goes by PID.
            await KillServerAsync(i);
        }

        for (int i = 1; i <= NodeCount; i++)
        {
            LeftoverShims.Kill(Path.Combine(DataDir, $"n{i}"));
        }

        await TestProcesses.UnmountUnderAsync(DataDir);

        foreach (string ns in Enumerable.Range(1, NodeCount).Select(Namespace).Concat(Enumerable.Range(0, ServerCount).Select(ServerNamespace)))
        {
            if (File.Exists($"/run/netns/{ns}"))
            {
                await TestProcesses.RunAsync("ip", ["netns", "delete", ns]);
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

    /// <summary>A network namespace joined to the bridge by a veth pair (<paramref name="host"/> ↔ <paramref name="inside"/>), with <paramref name="ip"/> and a default route through the bridge.</summary>
    private async Task AddNamespaceAsync(string ns, string host, string inside, string ip)
    {
        await TestProcesses.RunAsync("ip", ["netns", "add", ns]);
        await TestProcesses.RunAsync("ip", ["link", "add", host, "type", "veth", "peer", "name", inside]);
        await TestProcesses.RunAsync("ip", ["link", "set", inside, "netns", ns]);
        await TestProcesses.RunAsync("ip", ["link", "set", host, "master", Bridge, "up"]);
        await TestProcesses.RunAsync("ip", ["-n", ns, "addr", "add", ip + "/24", "dev", inside]);
        await TestProcesses.RunAsync("ip", ["-n", ns, "link", "set", inside, "up"]);
        await TestProcesses.RunAsync("ip", ["-n", ns, "link", "set", "lo", "up"]);
        await TestProcesses.RunAsync("ip", ["-n", ns, "route", "add", "default", "via", BridgeIp]);
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
