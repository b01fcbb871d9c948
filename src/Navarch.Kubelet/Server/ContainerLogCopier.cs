using System.Text;

namespace Navarch.Kubelet.Server;

/// <summary>
/// Copies a CRI log file to a client as the kubelet does: the last <c>tailLines</c> logical lines, then only those
/// at or after <c>since</c>, optionally prefixed by their timestamp, at most <c>limitBytes</c>; with <c>follow</c> it
/// keeps reading what the runtime appends until the container is no longer running or the client goes away.
/// </summary>
internal sealed class ContainerLogCopier(ContainerLogOptions options, TimeProvider time)
{
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
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, useAsync: true);
        var buffer = new byte[64 * 1024];
        var carry = new MemoryStream();

        // The file as it is now: with a tail, only the last N lines are kept before anything is written.
        var tail = options.TailLines is not null ? new Queue<CriLogMessage>() : null;
        List<CriLogMessage> batch = [];
        await ReadAvailableAsync(file, buffer, carry, parser, batch, cancellationToken).ConfigureAwait(false);
        if (tail is not null)
        {
            foreach (CriLogMessage m in batch)
            {
                tail.Enqueue(m);
                if (tail.Count > options.TailLines)
                {
                    tail.Dequeue();
                }
            }

            batch = [.. tail];
        }

        if (!await WriteAsync(batch, output, cancellationToken).ConfigureAwait(false) || !options.Follow)
        {
            return;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            batch.Clear();
            await ReadAvailableAsync(file, buffer, carry, parser, batch, cancellationToken).ConfigureAwait(false);
            if (batch.Count > 0)
            {
                if (!await WriteAsync(batch, output, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            if (!await running(cancellationToken).ConfigureAwait(false))
            {
                // One last read: the runtime may have written the final lines just before the container exited.
                await ReadAvailableAsync(file, buffer, carry, parser, batch, cancellationToken).ConfigureAwait(false);
                await WriteAsync(batch, output, cancellationToken).ConfigureAwait(false);
                return;
            }

            await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads to the current end of the file; a trailing line without its newline waits in <paramref name="carry"/>.</summary>
    private static async Task ReadAvailableAsync(FileStream file, byte[] buffer, MemoryStream carry, CriLogParser parser, List<CriLogMessage> into, CancellationToken cancellationToken)
    {
        int read;
        while ((read = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            ReadOnlySpan<byte> span = buffer.AsSpan(0, read);
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

                if (message is not null)
                {
                    into.Add(message);
                }

                span = span[(newline + 1)..];
            }

            carry.Write(span);
        }
    }

    /// <summary>Writes what passes the since filter; false once the byte limit is reached.</summary>
    private async Task<bool> WriteAsync(List<CriLogMessage> messages, Stream output, CancellationToken cancellationToken)
    {
        foreach (CriLogMessage m in messages)
        {
            if (options.Since is { } since && m.Time < since)
            {
                continue;
            }

            byte[] line = options.Timestamps ? [.. Encoding.ASCII.GetBytes(m.TimeText + " "), .. m.Content] : m.Content;
            int count = line.Length;
            if (options.LimitBytes is { } limit && _written + count >= limit)
            {
                await output.WriteAsync(line.AsMemory(0, (int)(limit - _written)), cancellationToken).ConfigureAwait(false);
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                _written = limit;
                return false;
            }

            await output.WriteAsync(line, cancellationToken).ConfigureAwait(false);
            _written += count;
        }

        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }
}
