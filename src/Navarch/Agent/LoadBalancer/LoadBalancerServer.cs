using System.Net.Sockets;

namespace Navarch.Agent.LoadBalancer;

/// <summary>
/// One server behind the agent's load balancer (k3s's loadbalancer <c>server</c>): its <c>host:port</c>, whether its
/// last dial or health check succeeded, and the connections proxied to it, so they can all be closed when it fails or
/// leaves the list — a client stuck on a dead server then reconnects, and the balancer dials a live one.
/// </summary>
internal sealed class LoadBalancerServer(string address)
{
    private readonly Lock _lock = new();
    private readonly HashSet<Socket> _connections = [];
    private volatile bool _healthy = true;

    /// <summary>The server's <c>host:port</c>.</summary>
    public string Address => address;

    /// <summary>Whether the last dial or health check reached it; a new server counts as healthy until one fails.</summary>
    public bool Healthy => _healthy;

    /// <summary>How many proxied connections are open to it.</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_lock)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>Records a check's outcome; true when it turned the server from healthy to failed.</summary>
    public bool Report(bool reachable)
    {
        bool was = _healthy;
        _healthy = reachable;
        return was && !reachable;
    }

    /// <summary>Remembers the socket of a connection proxied to this server.</summary>
    public void Track(Socket upstream)
    {
        lock (_lock)
        {
            _connections.Add(upstream);
        }
    }

    /// <summary>Forgets a connection that ended.</summary>
    public void Untrack(Socket upstream)
    {
        lock (_lock)
        {
            _connections.Remove(upstream);
        }
    }

    /// <summary>Closes every connection proxied to this server (each proxy then closes its client side); returns how many.</summary>
    public int CloseAll()
    {
        Socket[] open;
        lock (_lock)
        {
            open = [.. _connections];
            _connections.Clear();
        }

        foreach (Socket socket in open)
        {
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
                // Already gone: the proxy sees the socket end either way.
            }
            catch (ObjectDisposedException)
            {
            }

            socket.Dispose();
        }

        return open.Length;
    }

    /// <summary>Splits <c>host:port</c> (an IPv6 host in brackets) into its parts.</summary>
    public static (string Host, int Port) Split(string address)
    {
        int colon = address.LastIndexOf(':');
        string host = address[..colon].Trim('[', ']');
        return (host, int.Parse(address[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The <c>host:port</c> an https URL dials (443 when it names no port).</summary>
    public static string AddressOf(Uri url) => url.HostNameType == UriHostNameType.IPv6
        ? $"[{url.DnsSafeHost}]:{url.Port}"
        : $"{url.DnsSafeHost}:{url.Port}";
}
