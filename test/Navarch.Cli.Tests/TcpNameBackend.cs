using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Navarch.Cli.Tests;

/// <summary>
/// A TCP server standing in for an API server behind the agent's load balancer: it greets every connection with its
/// name and keeps it open until the other side closes. It can die cleanly (listener and connections closed) or hang
/// (listener gone, connections left open, as a machine that stopped answering).
/// </summary>
internal sealed class TcpNameBackend : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly List<Socket> _accepted = [];
    private readonly Task _accepting;

    public TcpNameBackend(string name, IPAddress? address = null, int port = 0)
    {
        Name = name;
        _listener = new TcpListener(address ?? IPAddress.Loopback, port);
        _listener.Start();
        var bound = (IPEndPoint)_listener.LocalEndpoint;
        Address = bound.Address + ":" + bound.Port;
        Port = bound.Port;
        _accepting = AcceptAsync();
    }

    public string Name { get; }

    /// <summary>Its <c>host:port</c>, as the balancer names it (kept after it stops).</summary>
    public string Address { get; }

    public int Port { get; }

    /// <summary>Stops listening; with <paramref name="closeConnections"/> also closes every connection (a clean death).</summary>
    public async Task StopAsync(bool closeConnections)
    {
        _listener.Stop();
        await _accepting;
        if (closeConnections)
        {
            lock (_accepted)
            {
                foreach (Socket socket in _accepted)
                {
                    socket.Dispose();
                }

                _accepted.Clear();
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                // Stopped: mid-accept (SocketException, ObjectDisposedException) or between two accepts ("Not listening").
                return;
            }

            lock (_accepted)
            {
                _accepted.Add(socket);
            }

            try
            {
                await socket.SendAsync(Encoding.ASCII.GetBytes(Name + "\n"));
            }
            catch (SocketException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(closeConnections: true);
        _listener.Dispose();
    }
}
