using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Navarch.E2E.Tests;

/// <summary>
/// Real traffic from a pod, sent by the test through sockets in the pod's network namespace (<see cref="PodNetwork"/>):
/// the same address, interface and rules as the pod's own processes, but a probe costs milliseconds, where a
/// <c>kubectl exec</c> costs hundreds of them (seconds on a busy machine) — so how soon a change shows is measured, not
/// the exec. Each probe answers true (connected / answered), false (refused: policies reject, so a denial is a refusal at
/// once) or null (no answer within a second: neither, try again).
/// </summary>
internal sealed class PodProbe(string netns)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(1);

    /// <summary>A probe from the pod whose address is <paramref name="podIp"/>.</summary>
    public static async Task<PodProbe> ForAsync(string podIp) => new(await PodNetwork.FindNamespaceAsync(podIp));

    /// <summary>One TCP connection to <paramref name="ip"/>:<paramref name="port"/>.</summary>
    public async Task<bool?> TcpAsync(string ip, int port)
    {
        using Socket socket = await PodNetwork.SocketInAsync(netns, SocketType.Stream, ProtocolType.Tcp);
        using var patience = new CancellationTokenSource(Patience);
        try
        {
            await socket.ConnectAsync(IPAddress.Parse(ip), port, patience.Token);
            return true;
        }
        catch (SocketException e) when (Refused(e))
        {
            return false;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>One DNS query (type A for <paramref name="name"/>) over UDP to <paramref name="ip"/>:<paramref name="port"/>; any answer counts.</summary>
    public async Task<bool?> DnsAsync(string ip, int port, string name)
    {
        using Socket socket = await PodNetwork.SocketInAsync(netns, SocketType.Dgram, ProtocolType.Udp);
        using var patience = new CancellationTokenSource(Patience);
        ushort id = (ushort)Random.Shared.Next(1, ushort.MaxValue);
        byte[] reply = new byte[512];
        try
        {
            await socket.ConnectAsync(IPAddress.Parse(ip), port, patience.Token);
            await socket.SendAsync(Query(id, name), SocketFlags.None, patience.Token);
            int length = await socket.ReceiveAsync(reply, SocketFlags.None, patience.Token);
            return length >= 12 && BinaryPrimitives.ReadUInt16BigEndian(reply) == id ? true : null;
        }
        catch (SocketException e) when (Refused(e))
        {
            return false;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private static bool Refused(SocketException e) =>
        e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable;

    /// <summary>A DNS query message: header (id, recursion desired, one question) and the question.</summary>
    private static byte[] Query(ushort id, string name)
    {
        var message = new List<byte> { (byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
        foreach (string label in name.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            message.Add((byte)label.Length);
            message.AddRange(Encoding.ASCII.GetBytes(label));
        }

        message.AddRange([0, 0, 1, 0, 1]);
        return [.. message];
    }
}
