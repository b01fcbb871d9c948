using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Agent.LoadBalancer;
using Navarch.Testing;
using Xunit.Abstractions;

namespace Navarch.Cli.Tests;

/// <summary>
/// The agent's load balancer over real TCP servers: connections reach a live server, fail over when it dies (its open
/// connections closed so clients reconnect), come back when a server appears, and the list learned from the
/// <c>default/kubernetes</c> endpoints is used and kept across restarts.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AgentLoadBalancerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_server_that_dies_is_left_and_its_connections_closed_so_clients_reconnect_to_the_other()
    {
        await using var a = new TcpNameBackend("a");
        await using var b = new TcpNameBackend("b");
        await using AgentLoadBalancer balancer = Start(a, b);

        (Socket first, string used) = await ConnectAsync(balancer);
        using Socket _ = first;
        Assert.Equal(used == "a" ? a.Address : b.Address, balancer.CurrentServer);
        TcpNameBackend dying = used == "a" ? a : b;
        TcpNameBackend other = used == "a" ? b : a;

        // Every connection goes to the current server while it lives.
        for (int i = 0; i < 3; i++)
        {
            (Socket again, string name) = await ConnectAsync(balancer);
            again.Dispose();
            Assert.Equal(used, name);
        }

        var clock = Stopwatch.StartNew();
        await dying.StopAsync(closeConnections: true);
        Assert.True(await ClosedWithinAsync(first, TimeSpan.FromSeconds(5)), "the connection to the dead server is closed");
        (Socket next, string now) = await ConnectAsync(balancer);
        next.Dispose();
        output.WriteLine($"a new connection reached the other server {clock.ElapsedMilliseconds} ms after the first died");
        Assert.Equal(other.Name, now);
        Assert.False(balancer.IsHealthy(dying.Address));
        Assert.Equal(other.Address, balancer.CurrentServer);
    }

    [Fact]
    public async Task A_server_that_hangs_fails_its_health_check_and_its_connections_are_closed_within_seconds()
    {
        await using var a = new TcpNameBackend("a");
        await using var b = new TcpNameBackend("b");
        await using AgentLoadBalancer balancer = Start(a, b);
        (Socket first, string used) = await ConnectAsync(balancer);
        using Socket _ = first;
        TcpNameBackend hanging = used == "a" ? a : b;

        // The server stops answering but its connections stay open: only the health check can tell.
        var clock = Stopwatch.StartNew();
        await hanging.StopAsync(closeConnections: false);
        Assert.True(await ClosedWithinAsync(first, TimeSpan.FromSeconds(10)), "the balancer closes the connection to the server that stopped answering");
        output.WriteLine($"closed {clock.ElapsedMilliseconds} ms after the server stopped answering");
        (Socket next, string now) = await ConnectAsync(balancer);
        next.Dispose();
        Assert.NotEqual(used, now);
    }

    [Fact]
    public async Task With_no_server_up_connections_are_closed_and_succeed_once_one_starts()
    {
        int port = FreePort.Next();
        await using AgentLoadBalancer balancer = AgentLoadBalancer.Start(new LoadBalancerOptions { Servers = [new Uri($"https://127.0.0.1:{port}")], Port = 0 }, NullLogger.Instance);
        using (var early = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await early.ConnectAsync(IPAddress.Loopback, balancer.Port);
            Assert.True(await ClosedWithinAsync(early, TimeSpan.FromSeconds(10)), "a connection with no server behind it is closed");
        }

        await using var late = new TcpNameBackend("late", port: port);
        (Socket socket, string name) = await ConnectAsync(balancer);
        socket.Dispose();
        Assert.Equal("late", name);
    }

    [Fact]
    public async Task Learned_servers_join_the_list_are_kept_in_the_config_file_and_a_removed_one_loses_its_connections()
    {
        string dir = Directory.CreateTempSubdirectory("navarch-lb-").FullName;
        try
        {
            string file = Path.Combine(dir, "agent", "etc", "navarch-agent-load-balancer.json");
            await using var given = new TcpNameBackend("given");
            await using var learned = new TcpNameBackend("learned");
            var options = new LoadBalancerOptions { Servers = [new Uri($"https://{given.Address}")], Port = 0, ConfigFile = file };
            await using (AgentLoadBalancer balancer = AgentLoadBalancer.Start(options, NullLogger.Instance))
            {
                Assert.True(balancer.Update([learned.Address, learned.Address]));
                Assert.False(balancer.Update([learned.Address]));
                Assert.False(balancer.Update([]));
                Assert.Equal([given.Address, learned.Address], balancer.ServerAddresses);
                Assert.Contains(learned.Address, await File.ReadAllTextAsync(file));

                // With the given server gone, connections go to the learned one.
                await given.StopAsync(closeConnections: true);
                (Socket socket, string name) = await ConnectAsync(balancer);
                using Socket _ = socket;
                Assert.Equal("learned", name);

                // The learned server leaves the endpoints: its connections are closed (clients go elsewhere).
                Assert.True(balancer.Update(["192.0.2.1:6443"]));
                Assert.True(await ClosedWithinAsync(socket, TimeSpan.FromSeconds(5)), "the removed server's connection is closed");
                Assert.Equal([given.Address, "192.0.2.1:6443"], balancer.ServerAddresses);
                Assert.True(balancer.Update([learned.Address]));
            }

            // A restarted agent starts from the list it knew; one given another server does not.
            await using (AgentLoadBalancer restarted = AgentLoadBalancer.Start(options, NullLogger.Instance))
            {
                Assert.Equal([given.Address, learned.Address], restarted.ServerAddresses);
                (Socket socket, string name) = await ConnectAsync(restarted);
                socket.Dispose();
                Assert.Equal("learned", name);
            }

            await using (AgentLoadBalancer other = AgentLoadBalancer.Start(options with { Servers = [new Uri("https://127.0.0.1:1")] }, NullLogger.Instance))
            {
                Assert.Equal(["127.0.0.1:1"], other.ServerAddresses);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task The_default_port_taken_by_another_agent_gives_a_free_one_and_a_port_asked_for_is_refused()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        int taken = ((IPEndPoint)holder.LocalEndpoint).Port;
        IOException refused = Assert.Throws<IOException>(() => AgentLoadBalancer.Start(new LoadBalancerOptions { Servers = [new Uri("https://127.0.0.1:1")], Port = taken }, NullLogger.Instance));
        Assert.Contains("address already in use", refused.Message, StringComparison.Ordinal);
        Assert.True(Navarch.Commands.AddressInUse.Is(refused));

        // Two agents on one machine (the tests' case): the second takes a free port instead of failing.
        bool defaultFree = true;
        try
        {
            using var probe = new TcpListener(IPAddress.Loopback, LoadBalancerOptions.DefaultPort);
            probe.Start();
        }
        catch (SocketException)
        {
            defaultFree = false;
        }

        await using AgentLoadBalancer first = AgentLoadBalancer.Start(new LoadBalancerOptions { Servers = [new Uri("https://127.0.0.1:1")] }, NullLogger.Instance);
        await using AgentLoadBalancer second = AgentLoadBalancer.Start(new LoadBalancerOptions { Servers = [new Uri("https://127.0.0.1:1")] }, NullLogger.Instance);
        Assert.NotEqual(first.Port, second.Port);
        Assert.Equal(defaultFree, first.Port == LoadBalancerOptions.DefaultPort);
    }

    [Trait("Category", "Unit")]
    [Fact]
    public void The_endpoints_give_every_address_on_its_subsets_https_port()
    {
        var endpoints = new V1Endpoints
        {
            Subsets =
            [
                new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = "10.0.0.1" }, new V1EndpointAddress { Ip = "10.0.0.2" }], Ports = [new Corev1EndpointPort { Name = "https", Port = 6443 }] },
                new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = "fd00::3" }], Ports = [new Corev1EndpointPort { Name = "other", Port = 1 }, new Corev1EndpointPort { Name = "https", Port = 7443 }] },
                new V1EndpointSubset { NotReadyAddresses = [new V1EndpointAddress { Ip = "10.0.0.9" }], Ports = [new Corev1EndpointPort { Name = "https", Port = 6443 }] },
                new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = "10.0.0.8" }], Ports = [new Corev1EndpointPort { Name = "a", Port = 1 }, new Corev1EndpointPort { Name = "b", Port = 2 }] },
            ],
        };
        Assert.Equal(["10.0.0.1:6443", "10.0.0.2:6443", "[fd00::3]:7443"], KubernetesEndpointsLearner.AddressesOf(endpoints));
        Assert.Empty(KubernetesEndpointsLearner.AddressesOf(null));
    }

    /// <summary>
    /// Through the balancer, over TLS the client verifies end to end: the learner reads <c>default/kubernetes</c> (an
    /// Endpoints object this test writes, listing a second "server" on this machine's own address), the balancer
    /// takes it in, and when the API server goes away new connections reach the learned one.
    /// </summary>
    [Fact]
    public async Task The_kubernetes_endpoints_read_through_the_balancer_add_the_servers_they_list()
    {
        IPAddress host = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses.Select(a => a.Address))
            .First(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        await using var learned = new TcpNameBackend("learned", host);
        ApiServerHost api = await ApiServerHost.StartAsync();
        bool apiStopped = false;
        try
        {
            await using AgentLoadBalancer balancer = AgentLoadBalancer.Start(new LoadBalancerOptions { Servers = [new Uri($"https://127.0.0.1:{api.Server.Port}")], Port = 0 }, NullLogger.Instance);
            KubernetesClientConfiguration config = KubernetesClientConfiguration.BuildConfigFromConfigFile(api.Server.AdminKubeconfigPath);
            config.Host = balancer.Url;
            using var client = new Kubernetes(config);
            await client.CoreV1.CreateNamespacedEndpointsAsync(
                new V1Endpoints
                {
                    Metadata = new V1ObjectMeta { Name = "kubernetes", NamespaceProperty = "default" },
                    Subsets = [new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = host.ToString() }], Ports = [new Corev1EndpointPort { Name = "https", Port = learned.Port, Protocol = "TCP" }] }],
                },
                "default");

            using var stop = new CancellationTokenSource();
            Task learning = new KubernetesEndpointsLearner(client, balancer, NullLogger.Instance).RunAsync(stop.Token);
            await Polling.Eventually(() => balancer.ServerAddresses.Contains(learned.Address), "the balancer learns the server in default/kubernetes", detail: () => string.Join(", ", balancer.ServerAddresses));

            // A server joining later is seen through the watch, at once rather than at a next poll.
            await using var joined = new TcpNameBackend("joined", host);
            await client.CoreV1.PatchNamespacedEndpointsAsync(
                new V1Patch($$"""{"subsets":[{"addresses":[{"ip":"{{host}}"}],"ports":[{"name":"https","port":{{learned.Port}},"protocol":"TCP"}]},{"addresses":[{"ip":"{{host}}"}],"ports":[{"name":"https","port":{{joined.Port}},"protocol":"TCP"}]}]}""", V1Patch.PatchType.MergePatch),
                "kubernetes",
                "default");
            await Polling.Eventually(() => balancer.ServerAddresses.Contains(joined.Address), "the balancer learns a server added to default/kubernetes", TimeSpan.FromSeconds(15), detail: () => string.Join(", ", balancer.ServerAddresses));
            Assert.Contains(learned.Address, balancer.ServerAddresses);
            await stop.CancelAsync();
            await learning;
            Assert.Equal($"127.0.0.1:{api.Server.Port}", balancer.ServerAddresses[0]);

            await api.DisposeAsync();
            apiStopped = true;
            (Socket socket, string name) = await ConnectAsync(balancer);
            socket.Dispose();
            Assert.Contains(name, new[] { "learned", "joined" });
        }
        finally
        {
            if (!apiStopped)
            {
                await api.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task The_readyz_check_passes_a_ready_server_whose_certificate_chains_to_the_cluster_ca_only()
    {
        await using ApiServerHost api = await ApiServerHost.StartAsync();
        await using var plain = new TcpNameBackend("plain");
        using var check = new ReadyzHealthCheck(Path.Combine(api.DataDir, "server", "tls", "server-ca.crt"));
        Assert.True(await check.CheckAsync($"127.0.0.1:{api.Server.Port}", CancellationToken.None));
        Assert.False(await check.CheckAsync(plain.Address, CancellationToken.None));
        Assert.False(await check.CheckAsync($"127.0.0.1:{FreePort.Next()}", CancellationToken.None));

        // Another cluster's server (its own CA) is not one of ours.
        await using ApiServerHost stranger = await ApiServerHost.StartAsync();
        Assert.False(await check.CheckAsync($"127.0.0.1:{stranger.Server.Port}", CancellationToken.None));

        // The balancer uses it in place of its TCP probe: the stranger is marked failed, ours stays healthy.
        await using AgentLoadBalancer balancer = AgentLoadBalancer.Start(
            new LoadBalancerOptions { Servers = [new Uri($"https://127.0.0.1:{api.Server.Port}"), new Uri($"https://127.0.0.1:{stranger.Server.Port}")], Port = 0, HealthCheckInterval = TimeSpan.FromMilliseconds(100) },
            NullLogger.Instance);
        balancer.SetHealthCheck(check.CheckAsync);
        await Polling.Eventually(() => !balancer.IsHealthy($"127.0.0.1:{stranger.Server.Port}"), "the other cluster's server fails the readyz check");
        Assert.True(balancer.IsHealthy($"127.0.0.1:{api.Server.Port}"));
    }

    private static AgentLoadBalancer Start(params TcpNameBackend[] backends) => AgentLoadBalancer.Start(
        new LoadBalancerOptions { Servers = [.. backends.Select(b => new Uri($"https://{b.Address}"))], Port = 0, HealthCheckInterval = TimeSpan.FromMilliseconds(250) },
        NullLogger.Instance);

    /// <summary>Connects through the balancer and reads the greeting of the server it reached.</summary>
    private static async Task<(Socket Socket, string Name)> ConnectAsync(AgentLoadBalancer balancer)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, balancer.Port);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var greeting = new StringBuilder();
        byte[] buffer = new byte[64];
        while (!greeting.ToString().EndsWith('\n'))
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            Assert.True(read > 0, "the balancer closed the connection without reaching a server");
            greeting.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return (socket, greeting.ToString().Trim());
    }

    /// <summary>Whether the other side closes <paramref name="socket"/> within <paramref name="within"/>.</summary>
    private static async Task<bool> ClosedWithinAsync(Socket socket, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        byte[] buffer = new byte[64];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
