using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Navarch.Storage;

/// <summary>
/// Keeps a window of history, as kube-apiserver's compactor does: it notes the current revision, and one window later
/// compacts the store to it, so reads and watches up to one window old keep working. The note is kept in the store
/// itself (under <see cref="CheckpointKey"/>, as kube-apiserver keeps its <c>compact_rev_key</c> in etcd), so a
/// restart does not start the window again: a server restarted more often than the window still compacts, and one
/// that was down longer than the window compacts at once.
/// </summary>
public sealed partial class PeriodicCompactor : IAsyncDisposable
{
    /// <summary>kube-apiserver's default <c>--etcd-compaction-interval</c>.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(5);

    /// <summary>The key holding the noted revision and when it was noted (outside <c>/registry/</c>).</summary>
    public const string CheckpointKey = "/navarch/compaction";

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
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    // A note older than the window (left by an earlier run, or by the last round) is due now; a fresher
                    // one is waited for, never replaced, so restarts do not push compaction back.
                    Checkpoint checkpoint = await ReadAsync(cancellationToken).ConfigureAwait(false) ?? await NoteAsync(null, cancellationToken).ConfigureAwait(false);
                    TimeSpan wait = checkpoint.NotedAt + _window - _time.GetUtcNow();
                    if (wait > TimeSpan.Zero && wait <= _window)
                    {
                        await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                    }

                    if (checkpoint.Revision > await _store.GetCompactedRevisionAsync(cancellationToken).ConfigureAwait(false))
                    {
                        await _store.CompactAsync(checkpoint.Revision, cancellationToken).ConfigureAwait(false);
                        LastCompacted = checkpoint.Revision;
                        LogCompacted(_logger, _store.Backend, checkpoint.Revision);
                    }

                    await NoteAsync(checkpoint, cancellationToken).ConfigureAwait(false);
                }
                catch (StorageException e)
                {
                    LogCompactionFailed(_logger, _store.Backend, e.Message);
                    await Task.Delay(_window, _time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task<Checkpoint?> ReadAsync(CancellationToken cancellationToken)
    {
        KeyValue? kv = await _store.GetAsync(CheckpointKey, 0, cancellationToken).ConfigureAwait(false);
        string[] parts = kv is null ? [] : Encoding.UTF8.GetString(kv.Value).Split(' ');
        return parts.Length == 2
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long revision)
            && DateTimeOffset.TryParse(parts[1], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out DateTimeOffset notedAt)
            ? new Checkpoint(revision, notedAt, kv!.ModRevision)
            : null;
    }

    /// <summary>Notes the current revision and the time, replacing <paramref name="previous"/> only if no one else has meanwhile.</summary>
    private async Task<Checkpoint> NoteAsync(Checkpoint? previous, CancellationToken cancellationToken)
    {
        long revision = await _store.GetCurrentRevisionAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset now = _time.GetUtcNow();
        byte[] value = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{revision} {now:O}"));
        try
        {
            KeyValue written = previous is null
                ? await _store.CreateAsync(CheckpointKey, value, null, cancellationToken).ConfigureAwait(false)
                : await _store.UpdateAsync(CheckpointKey, value, previous.ModRevision, null, cancellationToken).ConfigureAwait(false);
            return new Checkpoint(revision, now, written.ModRevision);
        }
        catch (StorageException e) when (e.Code is StorageErrorCode.KeyExists or StorageErrorCode.Conflict or StorageErrorCode.KeyNotFound)
        {
            // Another server sharing the store noted one first: its note stands.
            if (await ReadAsync(cancellationToken).ConfigureAwait(false) is { } other)
            {
                return other;
            }

            throw;
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

    private sealed record Checkpoint(long Revision, DateTimeOffset NotedAt, long ModRevision);
}
