using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Navarch.Agent.LoadBalancer;

/// <summary>
/// The agent's client-side load balancer (k3s's pkg/agent/loadbalancer): a TCP proxy on 127.0.0.1 that the agent's
/// own clients (join, kubelet, proxy, certificate rotation) use as their API server. Each connection is passed through
/// untouched to one server — TLS stays end to end, and the servers' certificates name 127.0.0.1 — so the agent's
/// identity and its verification of the server are the same as when it dialled the server itself.
/// The list holds the servers given on the command line, the ones learned from the <c>default/kubernetes</c> endpoints
/// (<see cref="Update"/>) and, after a restart, the ones in the config file. New connections go to the current server;
/// one that fails a dial is marked failed and the next is tried (failed ones last, since they may be back). Every
/// server is health-checked each second: one that turns unreachable has its connections closed, so clients stuck on
/// it reconnect — and land on a live server — within seconds. Each agent starts from a shuffled list, so agents spread
/// over the servers.
/// </summary>
internal sealed partial class AgentLoadBalancer : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly LoadBalancerOptions _options;
    private readonly ILogger _logger;
    private readonly TcpListener _listener;
    private readonly string[] _configured;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Task, bool> _proxies = new();
    private readonly Dictionary<string, LoadBalancerServer> _servers = new(StringComparer.OrdinalIgnoreCase);
    private List<LoadBalancerServer> _order = [];
    private string[] _learned = [];
    private LoadBalancerServer? _current;
    private LoadBalancerServer? _dialled;
    private Func<string, CancellationToken, Task<bool>>? _healthCheck;
    private Task _accepting = Task.CompletedTask;
    private Task _checking = Task.CompletedTask;
    private bool _disposed;

    private AgentLoadBalancer(LoadBalancerOptions options, TcpListener listener, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _listener = listener;
        _configured = [.. options.Servers.Select(LoadBalancerServer.AddressOf).Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>The loopback port it listens on.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The URL the agent's clients use in place of a server's: <c>https://127.0.0.1:&lt;port&gt;</c>.</summary>
    public string Url => $"https://127.0.0.1:{Port}";

    /// <summary>Every server in the list (given first, then learned), as <c>host:port</c>.</summary>
    public IReadOnlyList<string> ServerAddresses
    {
        get
        {
            lock (_lock)
            {
                return [.. Addresses()];
            }
        }
    }

    /// <summary>The server new connections go to first.</summary>
    public string? CurrentServer
    {
        get
        {
            lock (_lock)
            {
                return _current?.Address;
            }
        }
    }

    /// <summary>Whether <paramref name="address"/> passed its last dial or health check (false when not in the list).</summary>
    public bool IsHealthy(string address)
    {
        lock (_lock)
        {
            return _servers.TryGetValue(address, out LoadBalancerServer? server) && server.Healthy;
        }
    }

    /// <summary>
    /// Replaces the health check (by default a TCP connect) with <paramref name="check"/>, e.g. a
    /// <see cref="ReadyzHealthCheck"/> once the agent has the cluster CA (k3s's SetHealthCheck).
    /// </summary>
    public void SetHealthCheck(Func<string, CancellationToken, Task<bool>> check) => Volatile.Write(ref _healthCheck, check);

    /// <summary>Listens on 127.0.0.1 and starts proxying and health-checking.</summary>
    /// <exception cref="IOException">The port asked for is taken (wrapping the <see cref="SocketException"/>).</exception>
    public static AgentLoadBalancer Start(LoadBalancerOptions options, ILogger logger)
    {
        if (options.Servers.Count == 0)
        {
            throw new ArgumentException("the load balancer needs at least one server", nameof(options));
        }

        TcpListener? listener = Listen(options.Port ?? LoadBalancerOptions.DefaultPort);
        if (options.Port is null && listener is null)
        {
            // Another agent on this machine holds the default port: this one takes any free port (its clients are
            // told the URL, so nothing else needs to know it).
            listener = Listen(0);
        }

        var balancer = new AgentLoadBalancer(options, listener ?? throw new IOException($"listen tcp 127.0.0.1:{options.Port}: address already in use", new SocketException((int)SocketError.AddressAlreadyInUse)), logger);
        balancer.Begin();
        return balancer;
    }

    private static TcpListener? Listen(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return listener;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            listener.Dispose();
            return null;
        }
    }

    private void Begin()
    {
        string[] remembered = _options.ConfigFile is { } file ? [.. LoadBalancerConfig.Read(file, _options.Servers[0].ToString())] : [];
        lock (_lock)
        {
            SetLearned(remembered);
        }

        LogRunning(_logger, Url, ServerAddresses);
        Persist();
        _accepting = Task.Run(() => AcceptAsync(_stopping.Token), CancellationToken.None);
        _checking = Task.Run(() => CheckAsync(_stopping.Token), CancellationToken.None);
    }

    /// <summary>
    /// Replaces the learned servers with <paramref name="learned"/> (<c>host:port</c> each, e.g. from the
    /// <c>default/kubernetes</c> endpoints); the servers given on the command line always stay. A server that leaves
    /// the list has its connections closed. An empty list changes nothing (as k3s: never lose every server). Returns
    /// whether the list changed; a change is written to the config file.
    /// </summary>
    public bool Update(IEnumerable<string> learned)
    {
        string[] addresses = [.. learned.Where(a => a.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase)];
        if (addresses.Length == 0)
        {
            return false;
        }

        List<LoadBalancerServer> removed;
        lock (_lock)
        {
            if (addresses.SequenceEqual(_learned, StringComparer.OrdinalIgnoreCase))
            {
                return false;
            }

            removed = SetLearned(addresses);
        }

        LogUpdated(_logger, Url, ServerAddresses);
        foreach (LoadBalancerServer server in removed)
        {
            int closed = server.CloseAll();
            LogRemoved(_logger, server.Address, closed);
        }

        Persist();
        return true;
    }

    /// <summary>Rebuilds the list from the given and the learned servers (under the lock); returns the servers that left it.</summary>
    private List<LoadBalancerServer> SetLearned(string[] learned)
    {
        _learned = [.. learned.Except(_configured, StringComparer.OrdinalIgnoreCase)];
        var wanted = new HashSet<string>(_configured.Concat(_learned), StringComparer.OrdinalIgnoreCase);
        List<LoadBalancerServer> removed = [.. _servers.Values.Where(s => !wanted.Contains(s.Address))];
        foreach (LoadBalancerServer server in removed)
        {
            _servers.Remove(server.Address);
        }

        foreach (string address in wanted)
        {
            if (!_servers.ContainsKey(address))
            {
                _servers[address] = new LoadBalancerServer(address);
            }
        }

        // A shuffled order spreads the agents over the servers; the current server stays current while it is listed.
        LoadBalancerServer[] order = [.. _servers.Values];
        Random.Shared.Shuffle(order);
        _order = [.. order];
        if (_current is null || !_servers.ContainsKey(_current.Address))
        {
            _current = _order[0];
        }

        return removed;
    }

    private IEnumerable<string> Addresses() => _configured.Concat(_learned);

    private void Persist()
    {
        if (_options.ConfigFile is not { } file)
        {
            return;
        }

        try
        {
            new LoadBalancerConfig { ServerUrl = _options.Servers[0].ToString(), ServerAddresses = ServerAddresses }.Write(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogPersistFailed(_logger, file, e.Message);
        }
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || (e is SocketException && cancellationToken.IsCancellationRequested))
            {
                return;
            }
            catch (SocketException e)
            {
                // A connection that went away before it was accepted: the next one is unaffected.
                LogAcceptFailed(_logger, e.Message);
                continue;
            }

            Task proxy = ProxyAsync(client, cancellationToken);
            _proxies.TryAdd(proxy, true);
            _ = proxy.ContinueWith(done => _proxies.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task ProxyAsync(Socket client, CancellationToken cancellationToken)
    {
        await Task.Yield();
        using (client)
        {
            client.NoDelay = true;
            (LoadBalancerServer Server, Socket Socket)? dialed = await DialAsync(cancellationToken);
            if (dialed is not { } upstream)
            {
                // No server answers: the client sees its connection closed and tries again later (k3s closes it too).
                return;
            }

            using Socket server = upstream.Socket;
            upstream.Server.Track(server);
            try
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                Task up = PumpAsync(client, server, linked.Token);
                Task down = PumpAsync(server, client, linked.Token);

                // Either side ending ends the connection: TLS has said all it had to (close_notify) by then.
                await Task.WhenAny(up, down);
                await linked.CancelAsync();
                await Task.WhenAll(up, down);
            }
            finally
            {
                upstream.Server.Untrack(server);
            }
        }
    }

    private static async Task PumpAsync(Socket from, Socket to, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(32 * 1024);
        try
        {
            while (true)
            {
                int read = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (read == 0)
                {
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancellationToken);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The other side or the balancer closed the connection.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Dials the current server, then the other healthy ones, then the failed ones (one may be back before its next
    /// health check says so); the first to answer becomes current. Null when none answers.
    /// </summary>
    private async Task<(LoadBalancerServer Server, Socket Socket)?> DialAsync(CancellationToken cancellationToken)
    {
        LoadBalancerServer[] candidates;
        lock (_lock)
        {
            candidates = [.. _order.OrderBy(s => s == _current && s.Healthy ? 0 : s.Healthy ? 1 : 2)];
        }

        foreach (LoadBalancerServer server in candidates)
        {
            if (await ConnectAsync(server.Address, cancellationToken) is { } socket)
            {
                Recovered(server);
                bool switched;
                lock (_lock)
                {
                    switched = _dialled != server;
                    _dialled = server;
                    if (_servers.ContainsKey(server.Address))
                    {
                        _current = server;
                    }
                }

                if (switched)
                {
                    LogSwitched(_logger, Url, server.Address);
                }

                return (server, socket);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return null;
            }

            Failed(server);
        }

        LogNoServer(_logger, Url, [.. candidates.Select(s => s.Address)]);
        return null;
    }

    private async Task<Socket?> ConnectAsync(string address, CancellationToken cancellationToken)
    {
        (string host, int port) = LoadBalancerServer.Split(address);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

        // Its ephemeral port must not keep a listener of this machine (a kubelet's port) from binding while it is open.
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.DialTimeout);
        try
        {
            await socket.ConnectAsync(host, port, timeout.Token);
            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            return null;
        }
    }

    private void Failed(LoadBalancerServer server, bool closeConnections = true)
    {
        if (server.Report(reachable: false))
        {
            // Connections that still look open to a server that no longer answers would hang their clients: close them
            // so the clients reconnect through a live server.
            int closed = closeConnections ? server.CloseAll() : 0;
            LogFailed(_logger, server.Address, closed);
        }
    }

    /// <summary>The default health check: a TCP connect.</summary>
    private async Task<bool> ProbeAsync(string address, CancellationToken cancellationToken)
    {
        if (await ConnectAsync(address, cancellationToken) is not { } socket)
        {
            return false;
        }

        // Closed with a reset: a probe each second per server would otherwise leave its ephemeral ports in TIME_WAIT,
        // where they can keep a listener (the kubelet's port) from binding.
        socket.LingerState = new LingerOption(true, 0);
        socket.Dispose();
        return true;
    }

    private void Recovered(LoadBalancerServer server)
    {
        if (!server.Healthy)
        {
            server.Report(reachable: true);
            LogRecovered(_logger, server.Address);
        }
    }

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        var failures = new Dictionary<LoadBalancerServer, int>();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.HealthCheckInterval, _options.Time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            LoadBalancerServer[] servers;
            lock (_lock)
            {
                servers = [.. _order];
            }

            Func<string, CancellationToken, Task<bool>> check = Volatile.Read(ref _healthCheck) ?? ProbeAsync;
            bool[] results = await Task.WhenAll(servers.Select(server => check(server.Address, cancellationToken)));
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            for (int i = 0; i < servers.Length; i++)
            {
                if (results[i])
                {
                    failures.Remove(servers[i]);
                    Recovered(servers[i]);
                }
                else if ((failures[servers[i]] = failures.GetValueOrDefault(servers[i]) + 1) >= _options.HealthCheckFailures)
                {
                    // Closing its connections only helps when there is somewhere else to go.
                    Failed(servers[i], closeConnections: results.Any(ok => ok));
                }
            }

            lock (_lock)
            {
                if (_current is { Healthy: false } && _order.FirstOrDefault(s => s.Healthy) is { } healthy)
                {
                    _current = healthy;
                }
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _stopping.CancelAsync();
        _listener.Stop();
        await Task.WhenAll(_accepting, _checking);
        await Task.WhenAll(_proxies.Keys);
        _listener.Dispose();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Running the agent load balancer {Url} -> {Servers}")]
    private static partial void LogRunning(ILogger logger, string url, IReadOnlyList<string> servers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Updated the agent load balancer {Url} servers -> {Servers}")]
    private static partial void LogUpdated(ILogger logger, string url, IReadOnlyList<string> servers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent load balancer {Url} connects to server {Server}")]
    private static partial void LogSwitched(ILogger logger, string url, string server);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Load balancer server {Server} failed; closed {Connections} connections to it")]
    private static partial void LogFailed(ILogger logger, string server, int connections);

    [LoggerMessage(Level = LogLevel.Information, Message = "Load balancer server {Server} is reachable again")]
    private static partial void LogRecovered(ILogger logger, string server);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed server {Server} from the load balancer; closed {Connections} connections to it")]
    private static partial void LogRemoved(ILogger logger, string server, int connections);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent load balancer {Url}: no server answers ({Servers})")]
    private static partial void LogNoServer(ILogger logger, string url, IReadOnlyList<string> servers);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Load balancer accept failed: {Reason}")]
    private static partial void LogAcceptFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the load balancer's server list to {File}: {Reason}")]
    private static partial void LogPersistFailed(ILogger logger, string file, string reason);
}
