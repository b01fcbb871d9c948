using Microsoft.Extensions.Logging;
using Navarch.Storage;
using Navarch.Storage.Etcd;
using Navarch.Storage.Sqlite;

namespace Navarch.Server;

/// <summary>
/// The control plane's store, chosen as k3s chooses it (<c>--datastore-endpoint</c>): empty opens the embedded SQLite
/// file <c>&lt;data-dir&gt;/server/db/state.db</c>, etcd client URLs connect to etcd. A window of history is kept and
/// older revisions compacted, as kube-apiserver's compactor does. Disposing stops compaction and closes the store.
/// </summary>
internal sealed class Datastore : IAsyncDisposable
{
    private readonly PeriodicCompactor _compactor;

    private Datastore(IStore store, PeriodicCompactor compactor)
    {
        Store = store;
        _compactor = compactor;
    }

    /// <summary>The open store the API server stands on.</summary>
    public IStore Store { get; }

    /// <summary>Opens (or connects to) the store and starts compacting it.</summary>
    public static async Task<Datastore> OpenAsync(string dataDir, string endpoint, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        IStore store = string.IsNullOrEmpty(endpoint)
            ? await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(dataDir, "server", "db", "state.db"), LoggerFactory = loggers, Time = time }, cancellationToken)
            : await EtcdStore.OpenAsync(new EtcdStoreOptions { Endpoints = endpoint, LoggerFactory = loggers }, cancellationToken);
        var compactor = new PeriodicCompactor(store, PeriodicCompactor.DefaultWindow, time, loggers.CreateLogger<PeriodicCompactor>());
        compactor.Start();
        return new Datastore(store, compactor);
    }

    /// <summary>Connects to this server's embedded etcd member (<c>--cluster-init</c> or a joined server) and starts compacting it.</summary>
    public static async Task<Datastore> OpenEmbeddedAsync(Etcd.EmbeddedEtcd etcd, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        IStore store = await EtcdStore.OpenAsync(etcd.StoreOptions(loggers), cancellationToken);
        var compactor = new PeriodicCompactor(store, PeriodicCompactor.DefaultWindow, time, loggers.CreateLogger<PeriodicCompactor>());
        compactor.Start();
        return new Datastore(store, compactor);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _compactor.DisposeAsync();
        await Store.DisposeAsync();
    }
}
