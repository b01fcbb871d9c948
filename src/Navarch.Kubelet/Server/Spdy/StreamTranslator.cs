using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Navarch.Kubelet.Server.Spdy;

/// <summary>
/// What Kubernetes' API server does for kubectl 1.30+ (StreamTranslator and the port-forward tunnel), done where the
/// runtime is: containerd's streaming server speaks the remote command protocol up to v4 and only SPDY lets a client
/// close stdin, so a <c>v5.channel.k8s.io</c> WebSocket (exec, attach) is served here and carried on over SPDY with
/// v4; a <c>SPDY/3.1+portforward.k8s.io</c> WebSocket (port-forward) carries SPDY frames that are passed through to
/// the runtime's SPDY upgrade unchanged.
/// </summary>
internal static class StreamTranslator
{
    public const string RemoteCommandV5 = "v5.channel.k8s.io";
    public const string PortForwardTunnel = "SPDY/3.1+portforward.k8s.io";

    private const byte StdinChannel = 0;
    private const byte StdoutChannel = 1;
    private const byte StderrChannel = 2;
    private const byte ErrorChannel = 3;
    private const byte ResizeChannel = 4;
    private const byte CloseSignal = 255;

    /// <summary>True when the request is a WebSocket offering <paramref name="protocol"/>.</summary>
    public static bool Offers(HttpContext context, string protocol) =>
        context.WebSockets.IsWebSocketRequest && context.WebSockets.WebSocketRequestedProtocols.Contains(protocol, StringComparer.Ordinal);

    /// <summary>Serves exec or attach as v5 over WebSocket, with v4 over SPDY to the runtime's <paramref name="url"/>.</summary>
    public static async Task RemoteCommandAsync(HttpContext context, Uri url, StreamFlags flags)
    {
        CancellationToken aborted = context.RequestAborted;
        // The runtime first, so a refusal is still an HTTP error for the client.
        await using SpdyConnection runtime = await SpdyConnection.ConnectAsync(url, "v4.channel.k8s.io", aborted).ConfigureAwait(false);
        var channels = new Dictionary<int, byte>();
        async Task<int> OpenAsync(string type, byte channel)
        {
            int id = await runtime.OpenStreamAsync([new("streamtype", type)], aborted).ConfigureAwait(false);
            channels[id] = channel;
            return id;
        }

        // The order client-go's v4 client opens them in.
        int errorStream = await OpenAsync("error", ErrorChannel).ConfigureAwait(false);
        int? stdin = flags.Stdin ? await OpenAsync("stdin", StdinChannel).ConfigureAwait(false) : null;
        if (flags.Stdout)
        {
            await OpenAsync("stdout", StdoutChannel).ConfigureAwait(false);
        }

        if (flags.Stderr && !flags.Tty)
        {
            await OpenAsync("stderr", StderrChannel).ConfigureAwait(false);
        }

        int? resize = flags.Tty ? await OpenAsync("resize", ResizeChannel).ConfigureAwait(false) : null;

        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync(RemoteCommandV5).ConfigureAwait(false);
        using var done = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        Task input = ClientToRuntimeAsync(socket, runtime, stdin, resize, done.Token);
        Task output = RuntimeToClientAsync(runtime, socket, channels, errorStream, done.Token);
        try
        {
            // The command ends (its status sent), or the client closes or goes first: then the runtime's connection is
            // dropped with this method, which ends the session there as kubectl going away would.
            if (await Task.WhenAny(output, input).ConfigureAwait(false) == output)
            {
                await output.ConfigureAwait(false);
                await CloseAsync(socket, input, aborted).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
            // The client went away, or the runtime did: nothing is left to tell either.
        }
        finally
        {
            await done.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(input, output).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Serves a port-forward WebSocket tunnel: its binary messages are the SPDY bytes of the runtime's connection.</summary>
    public static async Task PortForwardTunnelAsync(HttpContext context, Uri url)
    {
        CancellationToken aborted = context.RequestAborted;
        await using SpdyConnection runtime = await SpdyConnection.ConnectAsync(url, "portforward.k8s.io", aborted).ConfigureAwait(false);
        using WebSocket socket = await AcceptTunnelAsync(context).ConfigureAwait(false);
        using var done = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        Task upstream = Task.Run(async () =>
        {
            byte[] buffer = new byte[32 * 1024];
            while (true)
            {
                WebSocketReceiveResult r = await socket.ReceiveAsync(buffer, done.Token).ConfigureAwait(false);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                await runtime.Stream.WriteAsync(buffer.AsMemory(0, r.Count), done.Token).ConfigureAwait(false);
            }
        }, done.Token);
        Task downstream = Task.Run(async () =>
        {
            byte[] buffer = new byte[32 * 1024];
            int n;
            while ((n = await runtime.Stream.ReadAsync(buffer, done.Token).ConfigureAwait(false)) > 0)
            {
                await socket.SendAsync(buffer.AsMemory(0, n), WebSocketMessageType.Binary, true, done.Token).ConfigureAwait(false);
            }
        }, done.Token);
        try
        {
            await Task.WhenAny(upstream, downstream).ConfigureAwait(false);
            await CloseAsync(socket, upstream, aborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
        }
        finally
        {
            await done.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(upstream, downstream).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// Accepts the port-forward tunnel's WebSocket. Its protocol name has a '/', which .NET's WebSocket accept refuses
    /// as a subprotocol token (Go's does not), so the RFC 6455 handshake answer is written here.
    /// </summary>
    private static async Task<WebSocket> AcceptTunnelAsync(HttpContext context)
    {
        IHttpUpgradeFeature upgrade = context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } feature
            ? feature
            : throw new NotSupportedException("the connection cannot be upgraded");
        string key = context.Request.Headers.SecWebSocketKey.ToString();
#pragma warning disable CA5350 // SHA-1 is what RFC 6455 prescribes for Sec-WebSocket-Accept; it protects nothing.
        byte[] hash = SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"));
#pragma warning restore CA5350
        context.Response.Headers.Connection = "Upgrade";
        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers.SecWebSocketAccept = Convert.ToBase64String(hash);
        context.Response.Headers.SecWebSocketProtocol = PortForwardTunnel;
        Stream stream = await upgrade.UpgradeAsync().ConfigureAwait(false);
        return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.FromSeconds(30) });
    }

    /// <summary>
    /// Ends the WebSocket with the close handshake: our close frame, then the client's (read by
    /// <paramref name="receiving"/>) for up to 5 s, so the connection is not cut under a close frame still in flight.
    /// </summary>
    private static async Task CloseAsync(WebSocket socket, Task receiving, CancellationToken cancellationToken)
    {
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cancellationToken).ConfigureAwait(false);
        }

        await receiving.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Client messages: stdin and resize data go to their streams; the v5 close signal half-closes stdin.</summary>
    private static async Task ClientToRuntimeAsync(WebSocket socket, SpdyConnection runtime, int? stdin, int? resize, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[32 * 1024];
        var message = new MemoryStream();
        try
        {
            while (true)
            {
                WebSocketReceiveResult r = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                message.Write(buffer, 0, r.Count);
                if (!r.EndOfMessage)
                {
                    continue;
                }

                byte[] bytes = message.ToArray();
                message.SetLength(0);
                if (bytes.Length == 0)
                {
                    continue;
                }

                switch (bytes[0])
                {
                    case StdinChannel when stdin is int id:
                        await runtime.WriteDataAsync(id, bytes.AsMemory(1), fin: false, cancellationToken).ConfigureAwait(false);
                        break;
                    case ResizeChannel when resize is int id:
                        await runtime.WriteDataAsync(id, bytes.AsMemory(1), fin: false, cancellationToken).ConfigureAwait(false);
                        break;
                    case CloseSignal when bytes.Length > 1 && bytes[1] == StdinChannel && stdin is int id:
                        await runtime.WriteDataAsync(id, ReadOnlyMemory<byte>.Empty, fin: true, cancellationToken).ConfigureAwait(false);
                        break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
        }
    }

    /// <summary>Runtime data goes to the client on its stream's channel, until the error stream (the status) ends.</summary>
    private static async Task RuntimeToClientAsync(SpdyConnection runtime, WebSocket socket, Dictionary<int, byte> channels, int errorStream, CancellationToken cancellationToken)
    {
        while (await runtime.ReadFrameAsync(cancellationToken).ConfigureAwait(false) is { } frame)
        {
            if (frame.Control)
            {
                if (frame.Type == SpdyConnection.TypeGoAway || (frame.Type == SpdyConnection.TypeRstStream && frame.StreamId == errorStream))
                {
                    return;
                }

                continue;
            }

            if (channels.TryGetValue(frame.StreamId, out byte channel) && frame.Payload.Length > 0)
            {
                byte[] message = new byte[frame.Payload.Length + 1];
                message[0] = channel;
                frame.Payload.CopyTo(message, 1);
                await socket.SendAsync(message, WebSocketMessageType.Binary, true, cancellationToken).ConfigureAwait(false);
            }

            if (frame.Fin && frame.StreamId == errorStream)
            {
                return;
            }
        }
    }
}
