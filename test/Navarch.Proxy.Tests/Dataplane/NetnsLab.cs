using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Navarch.Proxy.Host;
using Navarch.Testing;

namespace Navarch.Proxy.Tests.Dataplane;

/// <summary>
/// A node and its pods as network namespaces of our own (random names, removed on dispose): the node namespace has a
/// bridge at 10.42.0.1/24 with one veth per pod namespace, and a dead-end device routing the service CIDR so traffic the
/// proxy does not DNAT goes nowhere. Servers and clients are .NET sockets made inside a namespace (a thread that
/// called setns makes them), so no traffic ever leaves namespaces this lab made.
/// </summary>
internal sealed class NetnsLab : IAsyncDisposable
{
    private readonly List<string> _namespaces = [];
    private readonly List<IDisposable> _servers = [];
    private readonly ConcurrentDictionary<string, NetnsSockets> _factories = new(StringComparer.Ordinal);

    private NetnsLab(string id)
    {
        Id = id;
        Node = $"pxn{id}";
    }

    /// <summary>Random hex that names every namespace and device of this lab.</summary>
    public string Id { get; }

    /// <summary>The node's namespace (where the proxy's iptables rules live).</summary>
    public string Node { get; }

    /// <summary>The node's address on the pod bridge.</summary>
    public string NodeIp => "10.42.0.1";

    /// <summary>Pod name → namespace.</summary>
    public Dictionary<string, string> Pods { get; } = [];

    public static async Task<NetnsLab> CreateAsync()
    {
        var lab = new NetnsLab(Guid.NewGuid().ToString("N")[..6]);
        try
        {
            await lab.Ip("netns", "add", lab.Node);
            lab._namespaces.Add(lab.Node);
            await lab.Ip("-n", lab.Node, "link", "set", "lo", "up");
            await lab.Ip("-n", lab.Node, "link", "add", "br0", "type", "bridge");
            await lab.Ip("-n", lab.Node, "addr", "add", "10.42.0.1/24", "dev", "br0");
            await lab.Ip("-n", lab.Node, "link", "set", "br0", "up");
            // A veth whose peer stays down: a device that swallows what is routed to it (no dummy module here).
            await lab.Ip("-n", lab.Node, "link", "add", "svc0", "type", "veth", "peer", "name", "svc1");
            await lab.Ip("-n", lab.Node, "link", "set", "svc0", "up");
            await lab.Ip("-n", lab.Node, "route", "add", "10.43.0.0/16", "dev", "svc0");
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>Adds a pod namespace with <paramref name="ip"/> on the node's bridge; returns its namespace.</summary>
    public async Task<string> AddPodAsync(string name, string ip)
    {
        string ns = $"pxp{Id}{Pods.Count}";
        await Ip("netns", "add", ns);
        _namespaces.Add(ns);
        Pods[name] = ns;
        string hostSide = $"v{Pods.Count}";
        await Ip("-n", Node, "link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns", ns);
        await Ip("-n", Node, "link", "set", hostSide, "master", "br0", "up");
        // As the CNI bridge plugin's hairpinMode: a pod's own traffic DNATed back to it leaves by the port it came in.
        await Ip("-n", Node, "link", "set", hostSide, "type", "bridge_slave", "hairpin", "on");
        await Ip("-n", ns, "link", "set", "lo", "up");
        await Ip("-n", ns, "addr", "add", $"{ip}/24", "dev", "eth0");
        await Ip("-n", ns, "link", "set", "eth0", "up");
        await Ip("-n", ns, "route", "add", "default", "via", NodeIp);
        return ns;
    }

    /// <summary>
    /// Adds a namespace with <paramref name="ip"/> that the node reaches by a route over a veth of its own rather than
    /// the bridge: traffic between it and the pods is routed, as from another node or from outside the cluster.
    /// </summary>
    public async Task<string> AddRoutedHostAsync(string name, string ip)
    {
        string ns = $"pxp{Id}{Pods.Count}";
        await Ip("netns", "add", ns);
        _namespaces.Add(ns);
        Pods[name] = ns;
        string hostSide = $"r{Pods.Count}";
        await Ip("-n", Node, "link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns", ns);
        await Ip("-n", Node, "link", "set", hostSide, "up");
        await Ip("-n", Node, "route", "add", $"{ip}/32", "dev", hostSide);
        await Ip("-n", ns, "link", "set", "lo", "up");
        await Ip("-n", ns, "addr", "add", $"{ip}/32", "dev", "eth0");
        await Ip("-n", ns, "link", "set", "eth0", "up");
        await Ip("-n", ns, "route", "add", NodeIp, "dev", "eth0");
        await Ip("-n", ns, "route", "add", "default", "via", NodeIp, "dev", "eth0");
        return ns;
    }

    /// <summary>A TCP server in <paramref name="ns"/> that answers every connection with <paramref name="reply"/> and closes it.</summary>
    public void ServeTcp(string ns, int port, string reply)
    {
        Socket listener = Factory(ns).Create(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(IPAddress.Any, port));
        listener.Listen(512);
        _servers.Add(listener);
        byte[] bytes = Encoding.ASCII.GetBytes(reply + "\n");
        _ = Task.Run(async () =>
        {
            while (true)
            {
                Socket client;
                try
                {
                    client = await listener.AcceptAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        try
                        {
                            await client.SendAsync(bytes);
                            client.Shutdown(SocketShutdown.Both);
                        }
                        catch (SocketException)
                        {
                        }
                    }
                });
            }
        });
    }

    /// <summary>A UDP server in <paramref name="ns"/> that answers every datagram with <paramref name="reply"/>.</summary>
    public void ServeUdp(string ns, int port, string reply)
    {
        Socket socket = Factory(ns).Create(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, port));
        _servers.Add(socket);
        byte[] bytes = Encoding.ASCII.GetBytes(reply);
        _ = Task.Run(async () =>
        {
            byte[] buffer = new byte[1500];
            while (true)
            {
                try
                {
                    SocketReceiveFromResult got = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0));
                    await socket.SendToAsync(bytes, got.RemoteEndPoint);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }
            }
        });
    }

    /// <summary>Connects from <paramref name="ns"/> and reads the reply line; throws <see cref="SocketException"/> or <see cref="TimeoutException"/>.</summary>
    public async Task<string> TcpAsync(string ns, string ip, int port, TimeSpan timeout)
    {
        using Socket socket = Factory(ns).Create(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(ip), port), cts.Token);
            byte[] buffer = new byte[256];
            int total = 0, read;
            while ((read = await socket.ReceiveAsync(buffer.AsMemory(total), cts.Token)) > 0)
            {
                total += read;
            }

            return Encoding.ASCII.GetString(buffer, 0, total).Trim();
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no answer from {ip}:{port} within {timeout}");
        }
    }

    /// <summary>Sends one datagram from <paramref name="ns"/> and waits for the answer.</summary>
    public async Task<string> UdpAsync(string ns, string ip, int port, TimeSpan timeout)
    {
        using Socket socket = Factory(ns).Create(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(ip), port), cts.Token);
            await socket.SendAsync("ping"u8.ToArray(), cts.Token);
            byte[] buffer = new byte[256];
            int read = await socket.ReceiveAsync(buffer, cts.Token);
            return Encoding.ASCII.GetString(buffer, 0, read);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no UDP answer from {ip}:{port} within {timeout}");
        }
    }

    /// <summary>Runs <paramref name="body"/> on a thread of its own inside <paramref name="ns"/> (blocking socket loops of a benchmark).</summary>
    public static Task RunInNamespaceAsync(string ns, Action body)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                NetnsSockets.Enter(ns);
                body();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }) { IsBackground = true }.Start();
        return done.Task;
    }

    /// <summary>Runs a command inside <paramref name="ns"/>.</summary>
    public Task<CommandResult> ExecAsync(string ns, string file, params string[] args) => new CommandRunner(ns).RunAsync(file, args);

    public async ValueTask DisposeAsync()
    {
        foreach (IDisposable server in _servers)
        {
            server.Dispose();
        }

        foreach (NetnsSockets factory in _factories.Values)
        {
            factory.Dispose();
        }

        // Pods first: their veths go with them; the node's bridge goes with the node.
        foreach (string ns in Enumerable.Reverse(_namespaces))
        {
            await new CommandRunner().RunAsync("ip", ["netns", "del", ns]);
        }
    }

    private NetnsSockets Factory(string ns) => _factories.GetOrAdd(ns, n => new NetnsSockets(n));

    private async Task Ip(params string[] args)
    {
        CommandResult result = await new CommandRunner().RunAsync("ip", args);
        if (!result.Success)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)}: {result.Stderr.Trim()}");
        }
    }
}
