using System.Diagnostics;
using System.Net.Sockets;
using k8s;
using k8s.Models;
using Navarch.Proxy.NetworkPolicy;
using Navarch.Proxy.Tests.Dataplane;
using Navarch.Testing;

namespace Navarch.Proxy.Tests.NetworkPolicy;

/// <summary>
/// A real API server, a lab node with three pods on its bridge — prod/web (app=web, container port http 8080),
/// prod/client and dev/client (app=client) — and two hosts routed to it from outside the pod network (10.77.0.5 and
/// 10.77.1.5); each answers its own name on TCP 8080 and UDP 5353. The network policy controller runs in the node's
/// namespace with a table of its own, and is cleaned up with it.
/// </summary>
public sealed class NetworkPolicyFixture : IAsyncLifetime
{
    public static readonly Dictionary<string, (string Namespace, string App, string Ip)> Members = new()
    {
        ["prod/web"] = ("prod", "web", "10.42.0.11"),
        ["prod/client"] = ("prod", "client", "10.42.0.12"),
        ["dev/client"] = ("dev", "client", "10.42.0.13"),
    };

    public static readonly string[] Outside = ["10.77.0.5", "10.77.1.5"];
    private static readonly TimeSpan Attempt = TimeSpan.FromSeconds(1);
    private readonly CancellationTokenSource _stop = new();
    private Task _controller = Task.CompletedTask;

    internal ApiServerHost Api { get; private set; } = null!;

    internal NetnsLab Lab { get; private set; } = null!;

    internal NetworkPolicyOptions Options { get; private set; } = null!;

    internal NetworkPolicyController Controller { get; private set; } = null!;

    internal CollectingLoggerFactory Logs { get; } = new();

    public Kubernetes Client => Api.Client;

    public async Task InitializeAsync()
    {
        Api = await ApiServerHost.StartAsync();
        Lab = await NetnsLab.CreateAsync();
        Assert.True((await Lab.ExecAsync(Lab.Node, "sysctl", "-w", "net.ipv4.ip_forward=1")).Success);
        foreach ((string ns, string team) in new[] { ("prod", "a"), ("dev", "b") })
        {
            await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns, Labels = new Dictionary<string, string> { ["team"] = team } } });
        }

        foreach ((string key, (string ns, string app, string ip)) in Members)
        {
            string netns = await Lab.AddPodAsync(key, ip);
            Lab.ServeTcp(netns, 8080, key);
            Lab.ServeUdp(netns, 5353, key);
            string name = key.Split('/')[1];
            var pod = new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = app } },
                Spec = new V1PodSpec
                {
                    NodeName = "node-a",
                    Containers = [new V1Container { Name = "c", Image = "busybox:1.35", Ports = [new V1ContainerPort { Name = "http", ContainerPort = 8080 }] }],
                },
            };
            pod = await Client.CoreV1.CreateNamespacedPodAsync(pod, ns);
            pod.Status = new V1PodStatus { Phase = "Running", PodIP = ip, PodIPs = [new V1PodIP { Ip = ip }] };
            await Client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, name, ns);
        }

        foreach (string ip in Outside)
        {
            string netns = await Lab.AddRoutedHostAsync(ip, ip);
            Lab.ServeTcp(netns, 8080, ip);
            Lab.ServeUdp(netns, 5353, ip);
        }

        Options = new NetworkPolicyOptions { NodeName = "node-a", TableName = $"np-{Lab.Id}", NetworkNamespace = Lab.Node, MinSyncInterval = TimeSpan.FromMilliseconds(100) };
        Controller = new NetworkPolicyController(Api.Client, Options, Logs);
        _controller = Task.Run(() => Controller.RunAsync(_stop.Token));
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _controller;
        await NetworkPolicyController.CleanupAsync(Options);
        await Lab.DisposeAsync();
        await Api.DisposeAsync();
        _stop.Dispose();
    }

    /// <summary>The network namespace of a member (<c>prod/web</c>), an outside host (its address) or the node (<c>node</c>).</summary>
    internal string NamespaceOf(string who) => who == "node" ? Lab.Node : Lab.Pods[who];

    internal static string AddressOf(string who) => Members.TryGetValue(who, out var member) ? member.Ip : who;

    /// <summary>
    /// Whether a new connection (TCP) or datagram exchange (UDP) from <paramref name="from"/> to <paramref name="to"/>
    /// gets its answer (true) or is rejected (false: the table rejects, so a denial is a refusal at once). Silence is
    /// no answer either way — a busy machine — and is tried again.
    /// </summary>
    internal async Task<bool> ConnectsAsync(string from, string to, string protocol)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                string answer = protocol == "UDP"
                    ? await Lab.UdpAsync(NamespaceOf(from), AddressOf(to), 5353, Attempt)
                    : await Lab.TcpAsync(NamespaceOf(from), AddressOf(to), 8080, Attempt);
                Assert.Equal(to, answer);
                return true;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                return false;
            }
            catch (Exception e) when (e is SocketException or TimeoutException && attempt < 5)
            {
            }
        }
    }

    /// <summary>Asserts the outcome of one connection now, with the table and the controller's log when it differs.</summary>
    internal async Task AssertAsync(string from, string to, string protocol, bool allowed)
    {
        if (await ConnectsAsync(from, to, protocol) != allowed)
        {
            await FailAsync($"{from} -> {to} {protocol} should be {(allowed ? "allowed" : "denied")}");
        }
    }

    private async Task FailAsync(string what)
    {
        string table = (await Lab.ExecAsync(Lab.Node, "nft", "list", "ruleset")).Stdout;
        string policies = string.Join(", ", (await Client.NetworkingV1.ListNetworkPolicyForAllNamespacesAsync()).Items.Select(p => p.Metadata.Name));
        Assert.Fail($"{what}\n--- policies: {policies}\n--- log ---\n{Logs}\n--- ruleset ---\n{table}");
    }

    /// <summary>Polls until the connection's outcome is <paramref name="allowed"/>; returns how long that took.</summary>
    internal async Task<TimeSpan> ExpectAsync(string from, string to, string protocol, bool allowed, int seconds = 15)
    {
        var clock = Stopwatch.StartNew();
        while (await ConnectsAsync(from, to, protocol) != allowed)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(seconds))
            {
                await FailAsync($"{from} -> {to} {protocol} never became {(allowed ? "allowed" : "denied")}");
            }

            await Task.Delay(50);
        }

        return clock.Elapsed;
    }

    /// <summary>Creates a policy from YAML and returns when the API server has it.</summary>
    internal Task<V1NetworkPolicy> ApplyAsync(string yaml)
    {
        V1NetworkPolicy policy = KubernetesYaml.Deserialize<V1NetworkPolicy>(yaml);
        return Client.NetworkingV1.CreateNamespacedNetworkPolicyAsync(policy, policy.Metadata.NamespaceProperty);
    }

    /// <summary>Deletes every policy, and waits until the controller has written a table that isolates no one.</summary>
    internal async Task ResetAsync()
    {
        foreach (string ns in new[] { "prod", "dev" })
        {
            await Client.NetworkingV1.DeleteCollectionNamespacedNetworkPolicyAsync(ns);
        }

        // The deletions reach the controller one by one; a connection that works may do so under a policy not yet gone.
        var clock = Stopwatch.StartNew();
        while (Controller.LastApplied is not { } applied || applied.Contains(" : jump ", StringComparison.Ordinal))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(15))
            {
                await FailAsync("the policies of the last test never went");
            }

            await Task.Delay(20);
        }

        await ExpectAsync("prod/client", "prod/web", "TCP", allowed: true);
    }
}
