using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Navarch.E2E.Tests;

/// <summary>
/// A resolver on a loopback UDP port standing in for the host's /etc/resolv.conf (the cluster DNS's
/// <c>--dns-upstream</c>): <see cref="Name"/> has the A record <see cref="Address"/>, every other name is NXDOMAIN.
/// </summary>
internal sealed class UpstreamResolver : IDisposable
{
    public const string Name = "www.upstream.test";
    public static readonly IPAddress Address = IPAddress.Parse("192.0.2.77");
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    private UpstreamResolver()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _ = Task.Run(ServeAsync);
    }

    public IPEndPoint Endpoint => (IPEndPoint)_socket.LocalEndPoint!;

    public static UpstreamResolver Start() => new();

    public void Dispose() => _socket.Dispose();

    private async Task ServeAsync()
    {
        byte[] buffer = new byte[1500];
        while (true)
        {
            try
            {
                SocketReceiveFromResult got = await _socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0));
                if (Answer(buffer.AsSpan(0, got.ReceivedBytes)) is { } reply)
                {
                    await _socket.SendToAsync(reply, got.RemoteEndPoint);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
        }
    }

    /// <summary>The reply to one query: its header and question, with an A answer for <see cref="Name"/>.</summary>
    private static byte[]? Answer(ReadOnlySpan<byte> query)
    {
        int end = 12;
        var name = new StringBuilder();
        while (end < query.Length && query[end] != 0)
        {
            name.Append(Encoding.ASCII.GetString(query.Slice(end + 1, Math.Min(query[end], query.Length - end - 1)))).Append('.');
            end += query[end] + 1;
        }

        end += 5; // the root label, QTYPE, QCLASS
        if (end > query.Length)
        {
            return null;
        }

        ushort type = BinaryPrimitives.ReadUInt16BigEndian(query[(end - 4)..]);
        bool known = string.Equals(name.ToString().TrimEnd('.'), Name, StringComparison.OrdinalIgnoreCase);
        var reply = new List<byte>(query[..end].ToArray());
        reply[2] = (byte)(0x84 | (query[2] & 0x01));      // QR, AA, the query's RD
        reply[3] = (byte)(0x80 | (known ? 0 : 3));         // RA; NOERROR or NXDOMAIN
        reply[4] = 0;
        reply[5] = 1;                                       // one question
        reply[6] = 0;
        reply[7] = (byte)(known && type == 1 ? 1 : 0);      // one answer to an A question for the name
        reply[8] = reply[9] = reply[10] = reply[11] = 0;    // the query's OPT is not echoed
        if (reply[7] == 1)
        {
            reply.AddRange([0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, .. Address.GetAddressBytes()]);
        }

        return [.. reply];
    }
}
