using System.Net.Sockets;
using Grpc.Net.Client;

namespace Navarch.Kubelet.Runtime;

/// <summary>
/// A gRPC channel to a CRI v1 runtime over its unix socket, with the runtime and image services on it. The HTTP/2
/// connection is made by dialling the socket directly (the URI's host is only a placeholder).
/// </summary>
public sealed class CriConnection : IDisposable
{
    private readonly GrpcChannel _channel;

    /// <summary>Connects (lazily, on the first call) to <paramref name="endpoint"/>: a socket path or <c>unix://PATH</c>.</summary>
    public CriConnection(string endpoint, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        SocketPath = endpoint.StartsWith("unix://", StringComparison.Ordinal) ? endpoint["unix://".Length..] : endpoint;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 16 * 1024 * 1024 });
        Runtime = new RemoteRuntimeService(_channel, time ?? TimeProvider.System);
        Images = new RemoteImageService(_channel);
    }

    /// <summary>The socket path.</summary>
    public string SocketPath { get; }

    /// <summary>The CRI runtime service.</summary>
    public IRuntimeService Runtime { get; }

    /// <summary>The CRI image service.</summary>
    public IImageService Images { get; }

    /// <inheritdoc />
    public void Dispose() => _channel.Dispose();
}
