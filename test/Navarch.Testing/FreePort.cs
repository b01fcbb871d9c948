using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Navarch.Testing;

/// <summary>
/// A port nothing listens on at the moment of the call, for a process that takes its port on its command line (etcd, a
/// registry, navarch's kubelet), whose start is tried again on "address already in use" where that can still happen,
/// or for a connection that must be refused. Picked at random below the kernel's ephemeral range
/// (<c>ip_local_port_range</c>): the kernel hands those to outgoing connections and to binds of port 0, so a port from
/// it could be taken by any connection of any test between this call and the bind; below it only another explicit
/// pick can take it, and this process never picks one twice.
/// </summary>
public static class FreePort
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> Given = [];
    private static readonly int EphemeralLow = ReadEphemeralLow();

    /// <summary>A TCP port that nothing listens on, on any address, at the moment of the call.</summary>
    public static int Next()
    {
        int low = Math.Max(1024, EphemeralLow - 12_000);
        lock (Gate)
        {
            for (int attempt = 0; attempt < 2_000; attempt++)
            {
                int port = Random.Shared.Next(low, EphemeralLow);
                if (!Given.Add(port))
                {
                    continue;
                }

                try
                {
                    using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    probe.Bind(new IPEndPoint(IPAddress.Any, port));
                    return port;
                }
                catch (SocketException)
                {
                    // In use (or lingering): another one.
                }
            }
        }

        throw new InvalidOperationException($"no free port between {low} and {EphemeralLow}");
    }

    private static int ReadEphemeralLow()
    {
        try
        {
            string[] range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32768;
        }
    }
}
