using System.Net.Sockets;
using Grpc.Net.Client;

namespace Navarch.Kubelet.Runtime;

/// <summary>
/// gRPC channels to local plugins over unix sockets (the CRI runtime, CSI drivers, plugin-registration sockets): the
/// HTTP/2 connection is made by dialling the socket directly, the URI's host is only a placeholder.
/// </summary>
internal static class UnixSocketChannel
{
    /// <summary>The socket path of <paramref name="endpoint"/>: a path or <c>unix://PATH</c>.</summary>
    public static string SocketPath(string endpoint) =>
        endpoint.StartsWith("unix://", StringComparison.Ordinal) ? endpoint["unix://".Length..] : endpoint;

    /// <summary>A channel that connects (lazily, on the first call) to the socket of <paramref name="endpoint"/>.</summary>
    public static GrpcChannel Create(string endpoint, int maxReceiveMessageSize = 4 * 1024 * 1024)
    {
        string path = SocketPath(endpoint);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = maxReceiveMessageSize });
    }
}
