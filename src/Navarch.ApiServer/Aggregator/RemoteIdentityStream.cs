using System.Text;

namespace Navarch.ApiServer.Aggregator;

/// <summary>
/// Writes the caller's identity into the head of the one request a connection to an extension server carries, one
/// header line per value — <c>X-Remote-Group: a</c>, <c>X-Remote-Group: b</c> — as Go's client sends them and
/// k8s.io/apiserver's request-header authenticator reads them (each line one group; .NET's client would join repeated
/// values with ", " into one line, which would read as a single group). Everything after the head passes unchanged.
/// </summary>
internal sealed class RemoteIdentityStream(Stream inner, IReadOnlyList<KeyValuePair<string, string>> headers) : Stream
{
    private static readonly byte[] EndOfHead = "\r\n\r\n"u8.ToArray();
    private readonly MemoryStream _head = new();
    private bool _headWritten;

    /// <summary>The header lines of <paramref name="user"/>.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> HeadersOf(Http.UserInfo user)
    {
        var lines = new List<KeyValuePair<string, string>> { new("X-Remote-User", user.Name) };
        lines.AddRange(user.Groups.Select(g => new KeyValuePair<string, string>("X-Remote-Group", g)));
        foreach ((string key, IReadOnlyList<string> values) in user.Extra ?? new Dictionary<string, IReadOnlyList<string>>())
        {
            lines.AddRange(values.Select(v => new KeyValuePair<string, string>("X-Remote-Extra-" + Uri.EscapeDataString(key), v)));
        }

        // A value with a line break would start a header of its own: never sent.
        return lines.Where(l => !l.Value.Contains('\r', StringComparison.Ordinal) && !l.Value.Contains('\n', StringComparison.Ordinal)).ToList();
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_headWritten)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            return;
        }

        _head.Write(buffer.Span);
        byte[] pending = _head.GetBuffer();
        int end = pending.AsSpan(0, (int)_head.Length).IndexOf(EndOfHead);
        if (end < 0)
        {
            if (_head.Length > 64 * 1024)
            {
                throw new IOException("request head too large");
            }

            return;
        }

        // The head up to its last line break, the identity lines, then the blank line and whatever body followed.
        var identity = new StringBuilder();
        foreach ((string name, string value) in headers)
        {
            identity.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        _headWritten = true;
        await inner.WriteAsync(pending.AsMemory(0, end + 2), cancellationToken);
        await inner.WriteAsync(Encoding.UTF8.GetBytes(identity.ToString()), cancellationToken);
        await inner.WriteAsync(pending.AsMemory(end + 2, (int)_head.Length - end - 2), cancellationToken);
        _head.SetLength(0);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _head.Dispose();
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        _head.Dispose();
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }
}
