using Microsoft.Extensions.Logging;

namespace Navarch.Storage;

/// <summary>
/// Keeps a window of history, as kube-apiserver's compactor does: every <c>window</c> it compacts the store to
/// the revision it saw one window earlier, so reads and watches up to one window old keep working.
/// </summary>
public sealed partial class PeriodicCompactor : IAsyncDisposable
{
    /// <summary>kube-apiserver's default <c>--etcd-compaction-interval</c>.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(5);

    private readonly IStore _store;
    private readonly TimeSpan _window;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <summary>Creates a compactor; call <see cref="Start"/> to run it.</summary>
    public PeriodicCompactor(IStore store, TimeSpan window, TimeProvider time, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        _store = store;
        _window = window;
        _time = time;
        _logger = logger;
    }

    /// <summary>The revision of the last compaction this compactor made (0 before the first).</summary>
    public long LastCompacted { get; private set; }

    /// <summary>Starts the background loop.</summary>
    public void Start() => _loop ??= RunAsync(_stop.Token);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        long seen = 0;
        using var timer = new PeriodicTimer(_window, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    if (seen > LastCompacted)
                    {
                        await _store.CompactAsync(seen, cancellationToken).ConfigureAwait(false);
                        LastCompacted = seen;
                        LogCompacted(_logger, _store.Backend, seen);
                    }

                    seen = await _store.GetCurrentRevisionAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (StorageException e)
                {
                    LogCompactionFailed(_logger, _store.Backend, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Compacted {Backend} store to revision {Revision}")]
    private static partial void LogCompacted(ILogger logger, string backend, long revision);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Compaction of {Backend} store failed: {Reason}")]
    private static partial void LogCompactionFailed(ILogger logger, string backend, string reason);
}
