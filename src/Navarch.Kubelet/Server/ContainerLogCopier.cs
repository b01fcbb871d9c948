using System.Buffers;
using System.Text;

namespace Navarch.Kubelet.Server;

/// <summary>
/// Copies a CRI log file to a client as the kubelet does: the last <c>tailLines</c> logical lines, then only those
/// at or after <c>since</c>, optionally prefixed by their timestamp, at most <c>limitBytes</c>; with <c>follow</c> it
/// keeps reading what the runtime appends until the container is no longer running or the client goes away.
/// Output is gathered into chunks so a large log costs few writes.
/// </summary>
internal sealed class ContainerLogCopier(ContainerLogOptions options, TimeProvider time)
{
    private const int ChunkBytes = 64 * 1024;

    private readonly ArrayBufferWriter<byte> _chunk = new(ChunkBytes);
    private long _written;

    /// <summary>How often a followed file is read again for new lines.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Copies <paramref name="path"/> to <paramref name="output"/>. <paramref name="running"/> tells, when following and
    /// the file has no new line, whether the container may still write (false ends the copy).
    /// </summary>
    public async Task CopyAsync(string path, Stream output, Func<CancellationToken, Task<bool>> running, CancellationToken cancellationToken)
    {
        var parser = new CriLogParser();
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, ChunkBytes, useAsync: true);
        var buffer = new byte[ChunkBytes];
        var carry = new MemoryStream();

        // The file as it is now. With a tail only the last N lines are kept, and written once the end is reached.
        Queue<CriLogMessage>? tail = options.TailLines is not null ? new() : null;
        bool open = await ReadAvailableAsync(file, buffer, carry, parser, m =>
        {
            if (tail is null)
            {
                return Add(m);
            }

            tail.Enqueue(m);
            if (tail.Count > options.TailLines)
            {
                tail.Dequeue();
            }

            return true;
        }, output, cancellationToken).ConfigureAwait(false);
        foreach (CriLogMessage m in tail ?? [])
        {
            if (!(open = Add(m)))
            {
                break;
            }
        }

        await FlushAsync(output, cancellationToken).ConfigureAwait(false);
        if (!open || !options.Follow)
        {
            return;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            long before = _written + _chunk.WrittenCount;
            open = await ReadAvailableAsync(file, buffer, carry, parser, Add, output, cancellationToken).ConfigureAwait(false);
            bool wrote = _written + _chunk.WrittenCount > before;
            await FlushAsync(output, cancellationToken).ConfigureAwait(false);
            if (!open)
            {
                return;
            }

            if (wrote)
            {
                continue;
            }

            if (!await running(cancellationToken).ConfigureAwait(false))
            {
                // One last read: the runtime may have written the final lines just before the container exited.
                await ReadAvailableAsync(file, buffer, carry, parser, Add, output, cancellationToken).ConfigureAwait(false);
                await FlushAsync(output, cancellationToken).ConfigureAwait(false);
                return;
            }

            await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads to the current end of the file, handing each logical line to <paramref name="sink"/> (false stops); a
    /// trailing line without its newline waits in <paramref name="carry"/>. Full output chunks are written on the way.
    /// </summary>
    private async Task<bool> ReadAvailableAsync(FileStream file, byte[] buffer, MemoryStream carry, CriLogParser parser, Func<CriLogMessage, bool> sink, Stream output, CancellationToken cancellationToken)
    {
        int read;
        while ((read = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (!Parse(buffer.AsSpan(0, read), carry, parser, sink))
            {
                return false;
            }

            if (_chunk.WrittenCount >= ChunkBytes)
            {
                await FlushAsync(output, cancellationToken).ConfigureAwait(false);
            }
        }

        return true;
    }

    private static bool Parse(ReadOnlySpan<byte> span, MemoryStream carry, CriLogParser parser, Func<CriLogMessage, bool> sink)
    {
        int newline;
        while ((newline = span.IndexOf((byte)'\n')) >= 0)
        {
            CriLogMessage? message;
            if (carry.Length > 0)
            {
                carry.Write(span[..newline]);
                message = parser.Add(carry.GetBuffer().AsSpan(0, (int)carry.Length));
                carry.SetLength(0);
            }
            else
            {
                message = parser.Add(span[..newline]);
            }

            span = span[(newline + 1)..];
            if (message is not null && !sink(message))
            {
                return false;
            }
        }

        carry.Write(span);
        return true;
    }

    /// <summary>Adds a line that passes the since filter to the output chunk; false once the byte limit is reached.</summary>
    private bool Add(CriLogMessage m)
    {
        if (options.Since is { } since && (m.Time is not { } at || at < since))
        {
            return true;
        }

        byte[]? stamp = options.Timestamps ? Encoding.ASCII.GetBytes(m.TimeText + " ") : null;
        long count = (stamp?.Length ?? 0) + m.Content.Length;
        long used = _written + _chunk.WrittenCount;
        if (options.LimitBytes is { } limit && used + count >= limit)
        {
            byte[] line = stamp is null ? m.Content : [.. stamp, .. m.Content];
            _chunk.Write(line.AsSpan(0, (int)(limit - used)));
            return false;
        }

        if (stamp is not null)
        {
            _chunk.Write<byte>(stamp);
        }

        _chunk.Write<byte>(m.Content);
        return true;
    }

    private async Task FlushAsync(Stream output, CancellationToken cancellationToken)
    {
        if (_chunk.WrittenCount > 0)
        {
            await output.WriteAsync(_chunk.WrittenMemory, cancellationToken).ConfigureAwait(false);
            _written += _chunk.WrittenCount;
            _chunk.ResetWrittenCount();
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
