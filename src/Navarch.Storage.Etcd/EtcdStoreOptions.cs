using Microsoft.Extensions.Logging;

namespace Navarch.Storage.Etcd;

/// <summary>How to reach etcd.</summary>
public sealed class EtcdStoreOptions
{
    /// <summary>Comma-separated client URLs, e.g. <c>http://127.0.0.1:2379</c> (k3s's <c>--datastore-endpoint</c>). The first one is used.</summary>
    public required string Endpoints { get; init; }

    /// <summary>Events a watcher may have buffered before it is ended with <see cref="StorageErrorCode.WatcherTooSlow"/>.</summary>
    public int WatchBufferSize { get; init; } = 1000;

    /// <summary>The deadline of one unary call.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where the store logs; null for no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
