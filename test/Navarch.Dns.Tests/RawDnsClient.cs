using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ARSoft.Tools.Net.Dns;

namespace Navarch.Dns.Tests;

/// <summary>
/// Sends one question as a stub resolver does (a plain RFC 1035 packet over UDP, or length-prefixed over TCP) and
/// parses the reply with ARSoft's parser: what a pod's resolver gets, without a client library's own filtering.
/// </summary>
public static class RawDnsClient
{
    public static async Task<DnsMessage> QueryAsync(IPEndPoint server, string name, RecordType type, bool tcp = false)
    {
        ushort id = (ushort)Random.Shared.Next(1, ushort.MaxValue);
        byte[] query = Encode(id, name, type);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        byte[] reply;
        if (tcp)
        {
            using var client = new TcpClient(server.AddressFamily);
            await client.ConnectAsync(server, timeout.Token);
            NetworkStream stream = client.GetStream();
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
            using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            await socket.ConnectAsync(server, timeout.Token);
            await socket.SendAsync(query, timeout.Token);
            byte[] buffer = new byte[65535];
            int received = await socket.ReceiveAsync(buffer, timeout.Token);
            reply = buffer[..received];
        }

        DnsMessage message = DnsMessage.Parse(reply);
        Assert.Equal(id, message.TransactionID);
        return message;
    }

    private static byte[] Encode(ushort id, string name, RecordType type)
    {
        var packet = new List<byte>();
        byte[] header = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        header[2] = 0x01; // RD
        header[5] = 1; // one question
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
        return [.. packet];
    }
}
