using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Navarch.Kubelet.Server.Spdy;

/// <summary>One SPDY/3.1 frame as read: a control frame (its type) or a data frame (its stream).</summary>
internal readonly record struct SpdyFrame(bool Control, int Type, int StreamId, byte Flags, byte[] Payload)
{
    public bool Fin => (Flags & SpdyConnection.FlagFin) != 0;
}

/// <summary>
/// The client end of a SPDY/3.1 connection to a runtime's streaming server, as far as Kubernetes' streaming
/// protocols use it (moby/spdystream, no flow control): the HTTP/1.1 upgrade, SYN_STREAM with a header block,
/// DATA with FIN, and PING answered. Header blocks go out as a zlib stream of stored (uncompressed) deflate blocks —
/// valid for any zlib reader, so no shared dictionary is needed to write them — and the server's header blocks
/// (replies only) are skipped unread.
/// </summary>
internal sealed class SpdyConnection : IAsyncDisposable
{
    public const byte FlagFin = 0x01;
    public const int TypeSynReply = 2;
    public const int TypeRstStream = 3;
    public const int TypePing = 6;
    public const int TypeGoAway = 7;

    private const int TypeSynStream = 1;
    private const int Version = 3;

    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private bool _headerStreamStarted;
    private int _nextStreamId = 1;

    private SpdyConnection(TcpClient tcp, Stream stream)
    {
        _tcp = tcp;
        _stream = stream;
    }

    /// <summary>The upgraded byte stream (for tunnels that carry SPDY frames they did not make).</summary>
    public Stream Stream => _stream;

    /// <summary>
    /// Upgrades an HTTP/1.1 POST to <paramref name="url"/> (plain HTTP, as runtimes serve streaming on loopback) to
    /// SPDY/3.1 with <paramref name="protocol"/> as X-Stream-Protocol-Version; throws when the server refuses.
    /// </summary>
    public static async Task<SpdyConnection> ConnectAsync(Uri url, string protocol, CancellationToken cancellationToken)
    {
        if (url.Scheme != Uri.UriSchemeHttp)
        {
            throw new NotSupportedException($"streaming URL {url} is not plain HTTP");
        }

        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(url.Host, url.Port, cancellationToken).ConfigureAwait(false);
            NetworkStream stream = tcp.GetStream();
            string request = $"POST {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n" +
                $"X-Stream-Protocol-Version: {protocol}\r\nContent-Length: 0\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request), cancellationToken).ConfigureAwait(false);
            string head = await ReadHeadAsync(stream, cancellationToken).ConfigureAwait(false);
            string status = head.Split("\r\n")[0];
            if (!status.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
            {
                throw new IOException($"the streaming server refused the SPDY upgrade: {status}");
            }

            return new SpdyConnection(tcp, stream);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Opens a client stream carrying <paramref name="headers"/> (names lower-case); returns its id.</summary>
    public async Task<int> OpenStreamAsync(IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int id = _nextStreamId;
            _nextStreamId += 2;
            byte[] block = HeaderBlock(headers);
            byte[] frame = new byte[8 + 10 + block.Length];
            WriteControlHeader(frame, TypeSynStream, 0, 10 + block.Length);
            BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(8), id);
            // Associated-to stream 0, priority 0, slot 0.
            block.CopyTo(frame, 18);
            await _stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            return id;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends data on a stream, in frames of at most 32 KiB; <paramref name="fin"/> half-closes it after.</summary>
    public async Task WriteDataAsync(int streamId, ReadOnlyMemory<byte> data, bool fin, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            do
            {
                ReadOnlyMemory<byte> chunk = data[..Math.Min(data.Length, 32 * 1024)];
                data = data[chunk.Length..];
                byte[] frame = new byte[8 + chunk.Length];
                BinaryPrimitives.WriteInt32BigEndian(frame, streamId & 0x7fffffff);
                BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), ((fin && data.IsEmpty ? FlagFin : 0) << 24) | chunk.Length);
                chunk.CopyTo(frame.AsMemory(8));
                await _stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            }
            while (!data.IsEmpty);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Reads the next frame, answering PINGs on the way; null at the end of the connection.</summary>
    public async Task<SpdyFrame?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            byte[] header = new byte[8];
            if (!await FillAsync(header, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            int length = (int)(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4)) & 0xffffff);
            byte flags = header[4];
            byte[] payload = new byte[length];
            if (!await FillAsync(payload, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            if ((header[0] & 0x80) == 0)
            {
                return new SpdyFrame(false, 0, (int)(BinaryPrimitives.ReadUInt32BigEndian(header) & 0x7fffffff), flags, payload);
            }

            int type = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(2));
            if (type == TypePing)
            {
                await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await _stream.WriteAsync(header.Concat(payload).ToArray(), cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _writeLock.Release();
                }

                continue;
            }

            int streamId = payload.Length >= 4 && type is TypeSynReply or TypeRstStream ? (int)(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7fffffff) : 0;
            return new SpdyFrame(true, type, streamId, flags, payload);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _tcp.Dispose();
        _writeLock.Dispose();
    }

    private static void WriteControlHeader(Span<byte> frame, int type, byte flags, int length)
    {
        BinaryPrimitives.WriteUInt16BigEndian(frame, 0x8000 | Version);
        BinaryPrimitives.WriteUInt16BigEndian(frame[2..], (ushort)type);
        BinaryPrimitives.WriteInt32BigEndian(frame[4..], (flags << 24) | length);
    }

    /// <summary>
    /// A header block: the name/value pairs (32-bit lengths) as the continuation of this connection's zlib stream —
    /// a zlib header (no preset dictionary) before the first block, then non-final stored deflate blocks and the
    /// sync-flush marker.
    /// </summary>
    private byte[] HeaderBlock(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var plain = new MemoryStream();
        byte[] number = new byte[4];
        void WriteNumber(int n)
        {
            BinaryPrimitives.WriteInt32BigEndian(number, n);
            plain.Write(number);
        }

        void WriteString(string s)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(s);
            WriteNumber(bytes.Length);
            plain.Write(bytes);
        }

        WriteNumber(headers.Count);
        foreach (KeyValuePair<string, string> h in headers)
        {
            WriteString(h.Key);
            WriteString(h.Value);
        }

        byte[] data = plain.ToArray();
        var block = new MemoryStream();
        if (!_headerStreamStarted)
        {
            // CMF 0x78 (deflate, 32 KiB window), FLG 0x01: no dictionary, check bits making 0x7801 a multiple of 31.
            block.Write([0x78, 0x01]);
            _headerStreamStarted = true;
        }

        for (int offset = 0; offset < data.Length; offset += ushort.MaxValue)
        {
            int length = Math.Min(ushort.MaxValue, data.Length - offset);
            block.WriteByte(0x00); // BFINAL 0, BTYPE 00 (stored), padded to the byte boundary.
            block.Write([(byte)length, (byte)(length >> 8), (byte)~length, (byte)(~length >> 8)]);
            block.Write(data, offset, length);
        }

        // The sync-flush marker (an empty stored block), as zlib's Z_SYNC_FLUSH ends each SPDY header block: readers
        // such as Go's hand out a stored block's bytes only once they see the block after it.
        block.Write([0x00, 0x00, 0x00, 0xff, 0xff]);
        return block.ToArray();
    }

    private async Task<bool> FillAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await _stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    /// <summary>Reads the response head byte by byte, so no upgraded bytes are taken with it.</summary>
    private static async Task<string> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new List<byte>();
        byte[] one = new byte[1];
        while (head.Count < 64 * 1024)
        {
            if (await stream.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 0)
            {
                break;
            }

            head.Add(one[0]);
            if (head.Count >= 4 && head[^1] == '\n' && head[^2] == '\r' && head[^3] == '\n' && head[^4] == '\r')
            {
                break;
            }
        }

        return Encoding.ASCII.GetString([.. head]);
    }
}
