using System.Buffers;

namespace Navarch.ApiServer.ContainerLogs;

/// <summary>
/// Reads the complete lines of a segment file from a position on: a line the writer has not finished (no newline
/// yet) is left for the next read, so a reader never sees half a record.
/// </summary>
internal sealed class LogSegmentReader : IDisposable
{
    private readonly FileStream _file;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _filled;

    private LogSegmentReader(FileStream file, long position)
    {
        _file = file;
        Position = position;
    }

    /// <summary>The offset just past the last complete line returned.</summary>
    public long Position { get; private set; }

    /// <summary>Opens <paramref name="path"/> at <paramref name="position"/>; null when retention removed it meanwhile.</summary>
    public static LogSegmentReader? Open(string path, long position)
    {
        try
        {
            // Shared with the writer and with retention: a segment deleted while read stays readable to its end.
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
            return new LogSegmentReader(file, position);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads once more and calls <paramref name="line"/> with each complete line (without its newline) it finished;
    /// false once nothing more is written (a later call reads what was appended meanwhile).
    /// </summary>
    public async Task<bool> ReadSomeAsync(Action<ReadOnlyMemory<byte>> line, CancellationToken cancellationToken)
    {
        if (_filled == _buffer.Length)
        {
            // One line longer than the buffer: grow it (a line is bounded by the batch limit).
            byte[] larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            _buffer.AsSpan(0, _filled).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        _file.Position = Position + _filled;
        int read = await _file.ReadAsync(_buffer.AsMemory(_filled), cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return false;
        }

        _filled += read;
        int start = 0;
        while (_buffer.AsSpan(start, _filled - start).IndexOf((byte)'\n') is var newline and >= 0)
        {
            line(_buffer.AsMemory(start, newline));
            start += newline + 1;
        }

        Position += start;
        _buffer.AsSpan(start, _filled - start).CopyTo(_buffer);
        _filled -= start;
        return true;
    }

    public void Dispose()
    {
        _file.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
    }
}
