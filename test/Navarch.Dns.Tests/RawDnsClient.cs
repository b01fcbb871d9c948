using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ARSoft.Tools.Net.Dns;
using Navarch.Testing;

namespace Navarch.Dns.Tests;

/// <summary>
/// Sends one question as a stub resolver does (a plain RFC 1035 packet over UDP, or length-prefixed over TCP) and
/// parses the reply with ARSoft's parser: what a pod's resolver gets, without a client library's own filtering.
/// </summary>
public static class RawDnsClient
{
    public static async Task<DnsMessage> QueryAsync(IPEndPoint server, string name, RecordType type, bool tcp = false, ushort? ednsPayload = null, NetnsSockets? from = null)
    {
        (DnsMessage message, _) = await ExchangeAsync(server, name, type, tcp, ednsPayload, from);
        return message;
    }

    /// <summary>
    /// Sends one question (with an EDNS OPT record offering <paramref name="ednsPayload"/> bytes, if given), from the
    /// network namespace of <paramref name="from"/> if given; returns the reply and its size on the wire.
    /// </summary>
    public static async Task<(DnsMessage Message, int Size)> ExchangeAsync(IPEndPoint server, string name, RecordType type, bool tcp = false, ushort? ednsPayload = null, NetnsSockets? from = null)
    {
        ushort id = (ushort)Random.Shared.Next(1, ushort.MaxValue);
        byte[] query = Encode(id, name, type, ednsPayload);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        (SocketType socketType, ProtocolType protocol) = tcp ? (SocketType.Stream, ProtocolType.Tcp) : (SocketType.Dgram, ProtocolType.Udp);
        using Socket socket = from?.Create(server.AddressFamily, socketType, protocol) ?? new Socket(server.AddressFamily, socketType, protocol);
        await socket.ConnectAsync(server, timeout.Token);
        byte[] reply;
        if (tcp)
        {
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            byte[] length = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)query.Length);
            await stream.WriteAsync(length, timeout.Token);
            await stream.WriteAsync(query, timeout.Token);
            await stream.ReadExactlyAsync(length, timeout.Token);
            reply = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
            await stream.ReadExactlyAsync(reply, timeout.Token);
        }
        else
        {
            await socket.SendAsync(query, timeout.Token);
            byte[] buffer = new byte[65535];
            int received = await socket.ReceiveAsync(buffer, timeout.Token);
            reply = buffer[..received];
        }

        DnsMessage message = DnsMessage.Parse(reply);
        Assert.Equal(id, message.TransactionID);
        return (message, reply.Length);
    }

    private static byte[] Encode(ushort id, string name, RecordType type, ushort? ednsPayload)
    {
        var packet = new List<byte>();
        byte[] header = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        header[2] = 0x01; // RD
        header[5] = 1; // one question
        header[11] = (byte)(ednsPayload is null ? 0 : 1); // the OPT record
        packet.AddRange(header);
        foreach (string label in name.TrimEnd('.').Split('.'))
        {
            packet.Add((byte)label.Length);
            packet.AddRange(Encoding.ASCII.GetBytes(label));
        }

        packet.Add(0);
        byte[] tail = new byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(tail, (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(tail.AsSpan(2), 1); // IN
        packet.AddRange(tail);
        if (ednsPayload is { } payload)
        {
            // OPT (RFC 6891): root name, type 41, the class is the payload size, TTL 0 (no extended flags), no options.
            byte[] opt = new byte[11];
            BinaryPrimitives.WriteUInt16BigEndian(opt.AsSpan(1), 41);
            BinaryPrimitives.WriteUInt16BigEndian(opt.AsSpan(3), payload);
            packet.AddRange(opt);
        }

        return [.. packet];
    }
}
