using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Navarch.E2E.Tests;

/// <summary>
/// A UDP server inside a running pod's network namespace (found by the pod's address among the namespaces the CNI made
/// under /var/run/netns), answering every datagram as a DNS server that knows no name (the query back, NXDOMAIN) — so
/// busybox's <c>nslookup NAME IP:PORT</c> in another pod is a real UDP client, which busybox's nc cannot be. The pod
/// image has no UDP server; the socket is made by a thread that entered the namespace (a socket keeps it for life).
/// </summary>
internal sealed class PodUdpResponder : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private readonly Socket _socket;

    private PodUdpResponder(Socket socket)
    {
        _socket = socket;
        _ = Task.Run(ServeAsync);
    }

    /// <summary>Serves UDP <paramref name="port"/> in the network namespace that holds <paramref name="podIp"/>.</summary>
    public static async Task<PodUdpResponder> StartAsync(string podIp, int port)
    {
        string path = await FindNamespaceAsync(podIp);
        var made = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                using (SafeFileHandle handle = File.OpenHandle(path))
                {
                    if (setns(handle, CloneNewNet) != 0)
                    {
                        throw new InvalidOperationException($"setns {path}: errno {Marshal.GetLastPInvokeError()}");
                    }
                }

                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                socket.Bind(new IPEndPoint(IPAddress.Any, port));
                made.SetResult(socket);
            }
            catch (Exception e)
            {
                made.SetException(e);
            }
        }) { IsBackground = true }.Start();
        return new PodUdpResponder(await made.Task);
    }

    public void Dispose() => _socket.Dispose();

    private static async Task<string> FindNamespaceAsync(string podIp)
    {
        foreach (string path in Directory.Exists("/var/run/netns") ? Directory.GetFiles("/var/run/netns", "cni-*") : [])
        {
            var info = new System.Diagnostics.ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in new[] { "-n", Path.GetFileName(path), "-4", "-o", "addr", "show" })
            {
                info.ArgumentList.Add(arg);
            }

            using System.Diagnostics.Process ip = System.Diagnostics.Process.Start(info)!;
            string addresses = await ip.StandardOutput.ReadToEndAsync();
            await ip.WaitForExitAsync();
            if (addresses.Contains($" {podIp}/", StringComparison.Ordinal))
            {
                return path;
            }
        }

        throw new InvalidOperationException($"no network namespace under /var/run/netns holds {podIp}");
    }

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

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(SafeFileHandle fd, int nstype);
}
