using Microsoft.Extensions.Logging;

namespace Navarch.Storage.Sqlite;

/// <summary>How to open a <see cref="SqliteStore"/>.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>The database file; created with its directory when missing.</summary>
    public required string Path { get; init; }

    /// <summary>Events a watcher may have buffered before it is ended with <see cref="StorageErrorCode.WatcherTooSlow"/>.</summary>
    public int WatchBufferSize { get; init; } = 1000;

    /// <summary>The most write requests committed in one transaction (group commit).</summary>
    public int MaxBatchSize { get; init; } = 512;

    /// <summary>History rows removed per transaction while compacting, so writers are never held up for long.</summary>
    public int CompactionBatchSize { get; init; } = 2000;

    /// <summary>How often expired leases are looked for.</summary>
    public TimeSpan LeaseSweepInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The clock for lease expiry.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where the store logs; null for no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
