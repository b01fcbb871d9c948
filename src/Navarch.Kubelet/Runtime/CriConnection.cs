using Grpc.Net.Client;

namespace Navarch.Kubelet.Runtime;

/// <summary>
/// A gRPC channel to a CRI v1 runtime over its unix socket (<see cref="UnixSocketChannel"/>), with the runtime and image services on it.
/// </summary>
public sealed class CriConnection : IDisposable
{
    private readonly GrpcChannel _channel;

    /// <summary>Connects (lazily, on the first call) to <paramref name="endpoint"/>: a socket path or <c>unix://PATH</c>.</summary>
    public CriConnection(string endpoint, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        SocketPath = UnixSocketChannel.SocketPath(endpoint);
        _channel = UnixSocketChannel.Create(endpoint, 16 * 1024 * 1024);
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
