using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Api.Resources;
using Navarch.ApiServer.Admission;
using Navarch.ApiServer.Registry;
using Navarch.ApiServer.Registry.Services;
using Navarch.Storage;
using Navarch.Storage.Sqlite;

namespace Navarch.ApiServer.Tests.Registry;

/// <summary>The registry over a real SQLite store in a temporary directory, without the HTTP server in front.</summary>
internal sealed class RegistryHarness : IAsyncDisposable
{
    private readonly string _dir;
    private readonly SqliteStore _sqlite;
    private readonly WatchCaches _caches;

    private RegistryHarness(string dir, SqliteStore sqlite, IStore store, IReadOnlyList<IAdmissionPlugin> admission)
    {
        _dir = dir;
        _sqlite = sqlite;
        Store = store;
        Catalog = ResourceCatalog.CreateBuiltIn();
        Allocator = new ServiceAllocator(store, "10.43.0.0/16");
        _caches = new WatchCaches(store, NullLoggerFactory.Instance);
        Stores = new StoreRegistry(Catalog, store, _caches, new AdmissionChain(admission), BuiltInRegistry.Hooks(store, Allocator), TimeProvider.System);
    }

    public IStore Store { get; }

    public ResourceCatalog Catalog { get; }

    public ServiceAllocator Allocator { get; }

    public StoreRegistry Stores { get; }

    /// <param name="wrap">Puts something between the registry and the store (e.g. a rival writer).</param>
    public static async Task<RegistryHarness> StartAsync(Func<IStore, IStore>? wrap = null, params IAdmissionPlugin[] admission)
    {
        string dir = Directory.CreateTempSubdirectory("navarch-registry-").FullName;
        SqliteStore sqlite = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(dir, "state.db") });
        return new RegistryHarness(dir, sqlite, wrap?.Invoke(sqlite) ?? sqlite, admission);
    }

    public async ValueTask DisposeAsync()
    {
        Stores.Dispose();
        await _caches.DisposeAsync();
        await _sqlite.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
