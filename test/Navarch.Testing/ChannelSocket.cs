using System.Net.WebSockets;
using System.Text;

namespace Navarch.Testing;

/// <summary>Reading a Kubernetes channel WebSocket (v4/v5.channel.k8s.io) in tests: every message is a channel byte and its data.</summary>
public static class ChannelSocket
{
    /// <summary>Reads until the server closes, returning each channel's data as text (1 stdout, 2 stderr, 3 status).</summary>
    public static async Task<Dictionary<byte, string>> ReadToCloseAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var channels = new Dictionary<byte, string>();
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            WebSocketReceiveResult r = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                return channels;
            }

            if (r.Count > 0)
            {
                channels[buffer[0]] = channels.GetValueOrDefault(buffer[0], "") + Encoding.UTF8.GetString(buffer, 1, r.Count - 1);
            }
        }
    }
}
