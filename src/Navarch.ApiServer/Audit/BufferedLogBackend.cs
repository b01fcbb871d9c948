using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Navarch.ApiServer.Audit;

/// <summary>
/// The log backend behind kube-apiserver's buffered backend in batch mode: requests hand their events to a bounded
/// buffer (by count — Kubernetes' default 10,000 — and by bytes) and go on; one writer drains it in batches of up to 400
/// events, writes them to the file and flushes after each batch. A full buffer drops the event and counts it (as
/// Kubernetes' batch mode does) rather than slowing requests down or holding memory without bound. Unlike Kubernetes'
/// batch mode, a batch is written as soon as events are there instead of waiting up to 30 s to fill.
/// </summary>
internal sealed partial class BufferedLogBackend : IAuditBackend
{
    /// <summary>kube-apiserver's default batch buffer size.</summary>
    public const int DefaultBufferSize = 10_000;

    /// <summary>kube-apiserver's default maximum batch size.</summary>
    public const int MaxBatchSize = 400;

    private readonly Channel<byte[]> _buffer;
    private readonly IAuditLogFile _file;
    private readonly long _maxBufferedBytes;
    private readonly ILogger _logger;
    private readonly Task _writer;
    private long _bufferedBytes;
    private long _dropped;
    private long _written;

    public BufferedLogBackend(IAuditLogFile file, ILogger logger, int bufferSize = DefaultBufferSize, long maxBufferedBytes = 64L * 1024 * 1024)
    {
        _file = file;
        _logger = logger;
        _maxBufferedBytes = maxBufferedBytes;
        _buffer = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(bufferSize) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _writer = Task.Run(WriteAsync);
    }

    /// <summary>Events dropped because the buffer was full or the backend stopped (apiserver_audit_error_total).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Events written to the file.</summary>
    public long Written => Interlocked.Read(ref _written);

    public bool ProcessEvent(byte[] line)
    {
        if (Interlocked.Add(ref _bufferedBytes, line.Length) > _maxBufferedBytes || !_buffer.Writer.TryWrite(line))
        {
            Interlocked.Add(ref _bufferedBytes, -line.Length);
            long dropped = Interlocked.Increment(ref _dropped);
            if (dropped == 1 || dropped % 1000 == 0)
            {
                LogDropped(_logger, dropped);
            }

            return false;
        }

        return true;
    }

    /// <summary>Stops taking events and writes those already buffered.</summary>
    public async ValueTask DisposeAsync()
    {
        _buffer.Writer.TryComplete();
        await _writer;
        _file.Dispose();
    }

    private async Task WriteAsync()
    {
        ChannelReader<byte[]> reader = _buffer.Reader;
        while (await reader.WaitToReadAsync())
        {
            int count = 0;
            try
            {
                while (count < MaxBatchSize && reader.TryRead(out byte[]? line))
                {
                    count++;
                    Interlocked.Add(ref _bufferedBytes, -line.Length);
                    _file.Write(line);
                    Interlocked.Increment(ref _written);
                }

                _file.Flush();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // As kube-apiserver's log backend, a failed write loses the event and is reported, and the next is tried.
                Interlocked.Increment(ref _dropped);
                LogWriteFailed(_logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit buffer full: {Dropped} events dropped so far")]
    private static partial void LogDropped(ILogger logger, long dropped);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing the audit log failed")]
    private static partial void LogWriteFailed(ILogger logger, Exception error);
}
