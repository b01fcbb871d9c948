using System.Net;
using System.Net.Sockets;

namespace Navarch.Testing;

/// <summary>
/// A loopback port nothing listens on at the moment of the call. The port is released before it is used, so it is
/// never handed to a server that can bind port 0 itself (the API server, Kestrel): only to a connection that must be
/// refused, or to a process that takes its port on its command line (etcd, a registry, navarch), whose start is
/// then tried again on "address already in use".
/// </summary>
public static class FreePort
{
    /// <summary>A TCP port on 127.0.0.1 that nothing listens on at the moment of the call.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
