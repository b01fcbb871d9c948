using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer;
using Navarch.Storage;
using Navarch.Storage.Sqlite;

namespace Navarch.Testing;

/// <summary>
/// Several real API servers over one shared store — a SQLite file here, as servers share an etcd cluster — each on its
/// own loopback port with its own data dir (holding a copy of the first one's certificates, as a joining server is given
/// the cluster's CA and keys) and advertising its own address, 192.0.2.10, .11, ... Tests of what makes a second server
/// useful (identity Leases, the <c>kubernetes</c> Service's endpoints, leader election across servers) start these.
/// </summary>
public sealed class ApiServerPeers : IAsyncDisposable
{
    private readonly DirectoryInfo _dir;
    private readonly ApiServerLeaseOptions _leases;
    private readonly List<ApiServerPeer> _servers = [];

    private ApiServerPeers(DirectoryInfo dir, IStore store, ApiServerLeaseOptions leases)
    {
        _dir = dir;
        Store = store;
        _leases = leases;
    }

    /// <summary>The store every server stands on.</summary>
    public IStore Store { get; }

    /// <summary>The servers, in the order they were started.</summary>
    public IReadOnlyList<ApiServerPeer> Servers => _servers;

    /// <summary>
    /// Starts <paramref name="count"/> servers, one after another, with <paramref name="leases"/> for their lease timings;
    /// <paramref name="leaseSweep"/> is how often the store looks for expired leases (TTL keys).
    /// </summary>
    public static async Task<ApiServerPeers> StartAsync(int count, ApiServerLeaseOptions leases, TimeSpan? leaseSweep = null)
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("navarch-peers-");
        IStore store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(dir.FullName, "shared", "state.db"), LeaseSweepInterval = leaseSweep ?? TimeSpan.FromMilliseconds(200), LoggerFactory = NullLoggerFactory.Instance });
        var peers = new ApiServerPeers(dir, store, leases);
        try
        {
            for (int i = 0; i < count; i++)
            {
                await peers.AddAsync();
            }
        }
        catch
        {
            await peers.DisposeAsync();
            throw;
        }

        return peers;
    }

    /// <summary>Starts one more server on the shared store.</summary>
    public async Task<ApiServerPeer> AddAsync()
    {
        int index = _servers.Count;
        string dataDir = Path.Combine(_dir.FullName, $"server-{index}");
        if (index > 0)
        {
            CopyDirectory(Path.Combine(_servers[0].DataDir, "server", "tls"), Path.Combine(dataDir, "server", "tls"));
        }

        ApiServerPeer peer = await StartAsync(index, dataDir);
        _servers.Add(peer);
        return peer;
    }

    /// <summary>Stops server <paramref name="index"/> cleanly and starts it again on its data dir (a new port).</summary>
    public async Task<ApiServerPeer> RestartAsync(int index)
    {
        ApiServerPeer old = _servers[index];
        await old.DisposeAsync();
        return _servers[index] = await StartAsync(index, old.DataDir);
    }

    private async Task<ApiServerPeer> StartAsync(int index, string dataDir)
    {
        var store = new SeverableStore(Store);
        var advertise = IPAddress.Parse($"192.0.2.{10 + index}");
        var server = new ApiServer.ApiServer(store, new ApiServerOptions { DataDir = dataDir, Port = 0, BindAddress = IPAddress.Loopback, AdvertiseAddress = advertise, AuthorizationMode = "AlwaysAllow", Leases = _leases }, NullLoggerFactory.Instance);
        try
        {
            await server.StartAsync();
        }
        catch
        {
            await server.DisposeAsync();
            await store.DisposeAsync();
            throw;
        }

        return new ApiServerPeer(server, store, advertise, dataDir);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (ApiServerPeer server in _servers)
        {
            await server.DisposeAsync();
        }

        await Store.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (string directory in Directory.GetDirectories(from))
        {
            CopyDirectory(directory, Path.Combine(to, Path.GetFileName(directory)));
        }
    }
}
