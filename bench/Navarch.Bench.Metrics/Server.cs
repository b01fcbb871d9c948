using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer;
using Navarch.Storage;
using Navarch.Storage.Sqlite;

namespace Navarch.Bench.Metrics;

/// <summary>One API server over its own SQLite store in a temp dir, with an admin HTTPS/HTTP2 client.</summary>
internal sealed class Server : IAsyncDisposable
{
    private readonly DirectoryInfo _dir;

    private readonly IStore _store;

    private readonly Navarch.ApiServer.ApiServer _server;

    private Server(DirectoryInfo dir, IStore store, Navarch.ApiServer.ApiServer server)
    {
        _dir = dir;
        _store = store;
        _server = server;
        var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is System.Security.Cryptography.X509Certificates.X509Certificate2 c && server.Pki.IsSignedByCa(c), ClientCertificates = [server.Pki.Admin] },
            EnableMultipleHttp2Connections = true,
        };
        Http = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{server.Port}"), DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
    }

    public HttpClient Http { get; }

    public static async Task<Server> StartAsync(bool metrics)
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("navarch-bench-metrics-");
        IStore store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(dir.FullName, "server", "db", "state.db"), LoggerFactory = NullLoggerFactory.Instance });
        var server = new Navarch.ApiServer.ApiServer(store, new ApiServerOptions { DataDir = dir.FullName, Port = 0, BindAddress = IPAddress.Loopback, Metrics = metrics }, NullLoggerFactory.Instance);
        await server.StartAsync();
        return new Server(dir, store, server);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _server.DisposeAsync();
        await _store.DisposeAsync();
        _dir.Delete(recursive: true);
    }
}
