using System.Net;
using System.Net.Sockets;

namespace Navarch.E2E.Tests;

/// <summary>
/// A UDP server inside a running pod's network namespace (<see cref="PodNetwork"/>), answering every datagram as a DNS
/// server that knows no name (the query back, NXDOMAIN) — so busybox's <c>nslookup NAME IP:PORT</c> in another pod is a
/// real UDP client, which busybox's nc cannot be. The pod image has no UDP server.
/// </summary>
internal sealed class PodUdpResponder : IDisposable
{
    private readonly Socket _socket;

    private PodUdpResponder(Socket socket)
    {
        _socket = socket;
        _ = Task.Run(ServeAsync);
    }

    /// <summary>Serves UDP <paramref name="port"/> in the network namespace that holds <paramref name="podIp"/>.</summary>
    public static async Task<PodUdpResponder> StartAsync(string podIp, int port)
    {
        Socket socket = await PodNetwork.SocketInAsync(await PodNetwork.FindNamespaceAsync(podIp), SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, port));
        return new PodUdpResponder(socket);
    }

    public void Dispose() => _socket.Dispose();

    private async Task ServeAsync()
    {
        byte[] buffer = new byte[1500];
        while (true)
        {
            try
            {
                SocketReceiveFromResult got = await _socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0));
                if (got.ReceivedBytes < 12)
                {
                    continue;
                }

                byte[] reply = buffer[..got.ReceivedBytes];
                reply[2] |= 0x80;                          // QR: a response
                reply[3] = (byte)((reply[3] & 0xF0) | 3); // RCODE: NXDOMAIN
                await _socket.SendToAsync(reply, got.RemoteEndPoint);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
        }
    }
}
