using Cronos;
using Microsoft.Extensions.Logging;
using Navarch.Storage;

namespace Navarch.Snapshots;

/// <summary>
/// The server's scheduled snapshots (k3s's <c>--etcd-snapshot-schedule-cron</c>): at every occurrence of the cron
/// schedule (local time, as k3s) the open store writes <c>etcd-snapshot-&lt;node&gt;-&lt;unix time&gt;</c>, then this
/// node's scheduled snapshots beyond the retention are deleted, oldest first. A failed snapshot is logged and the
/// next occurrence tried; on-demand snapshots are never pruned here.
/// </summary>
internal sealed partial class SnapshotScheduler(ISnapshotSource source, SnapshotDirectory directory, string node, CronExpression schedule, int retention, TimeProvider time, ILogger logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private int _disposed;

    /// <summary>
    /// Starts the schedule of a server's open store, unless scheduled snapshots are disabled or the store cannot take
    /// snapshots (then null).
    /// </summary>
    public static SnapshotScheduler? StartFor(IStore store, SnapshotOptions options, string dataDir, TimeProvider time, ILogger logger)
    {
        if (options.Disabled || store is not ISnapshotSource source)
        {
            return null;
        }

        var scheduler = new SnapshotScheduler(source, new SnapshotDirectory(options.Dir ?? SnapshotDirectory.DefaultPath(dataDir)), options.NodeName, options.Schedule, options.Retention, time, logger);
        scheduler.Start();
        return scheduler;
    }

    /// <summary>Starts waiting for the first occurrence.</summary>
    public void Start() => _loop = RunAsync(_stop.Token);

    /// <summary>Takes one scheduled snapshot now and prunes; returns its name, or null when it failed (logged).</summary>
    public async Task<string?> TakeAsync(CancellationToken cancellationToken)
    {
        string name = SnapshotDirectory.NameFor(SnapshotDirectory.ScheduledName, node, time.GetUtcNow());
        try
        {
            await source.SaveSnapshotAsync(directory.PathFor(name), cancellationToken).ConfigureAwait(false);
            LogSaved(logger, name, directory.Path);
            foreach (string pruned in directory.Prune(SnapshotDirectory.ScheduledName, node, retention))
            {
                LogPruned(logger, pruned, retention);
            }

            return name;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OutOfMemoryException)
        {
            LogFailed(logger, name, e.Message);
            return null;
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            while (true)
            {
                DateTimeOffset now = time.GetUtcNow();
                if (schedule.GetNextOccurrence(now, TimeZoneInfo.Local) is not { } next)
                {
                    return;
                }

                await Task.Delay(next - now, time, cancellationToken).ConfigureAwait(false);
                await TakeAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot {Name} saved in {Dir}")]
    private static partial void LogSaved(ILogger logger, string name, string dir);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot {Name} pruned (retention {Retention})")]
    private static partial void LogPruned(ILogger logger, string name, int retention);

    [LoggerMessage(Level = LogLevel.Error, Message = "Scheduled snapshot {Name} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string name, string reason);
}
