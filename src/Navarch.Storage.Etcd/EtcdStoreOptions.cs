using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Navarch.Storage.Etcd;

/// <summary>How to reach etcd.</summary>
public sealed class EtcdStoreOptions
{
    /// <summary>Comma-separated client URLs, e.g. <c>http://127.0.0.1:2379</c> (k3s's <c>--datastore-endpoint</c>). The first one is used.</summary>
    public required string Endpoints { get; init; }

    /// <summary>Events a watcher may have buffered before it is ended with <see cref="StorageErrorCode.WatcherTooSlow"/>.</summary>
    public int WatchBufferSize { get; init; } = 1000;

    /// <summary>
    /// How long a live event may wait for room in a full watch buffer before the watcher is called slow. etcd
    /// delivers events in batches, so a full buffer can mean only that a batch arrived at once.
    /// </summary>
    public TimeSpan SlowWatcherGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The deadline of one unary call.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The client certificate (with its key) presented to an etcd that requires one (<c>--client-cert-auth</c>); null for none.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>The CAs an <c>https</c> etcd's serving certificate must chain to; null trusts the system's roots.</summary>
    public X509Certificate2Collection? TrustedCa { get; init; }

    /// <summary>Where the store logs; null for no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
