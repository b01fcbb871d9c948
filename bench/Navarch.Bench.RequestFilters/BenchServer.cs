using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer;
using Navarch.ApiServer.Audit;
using Navarch.Storage;
using Navarch.Storage.Sqlite;

namespace Navarch.Bench.RequestFilters;

/// <summary>
/// An API server in this process over SQLite in a temp dir, with a static token for user <c>bench</c>, an authorization
/// mode, and (given a level) an audit policy of one rule at that level logging to a file; removed on dispose.
/// </summary>
internal sealed class BenchServer : IAsyncDisposable
{
    private readonly DirectoryInfo _dir;
    private readonly IStore _store;
    private readonly Navarch.ApiServer.ApiServer _server;

    private BenchServer(DirectoryInfo dir, IStore store, Navarch.ApiServer.ApiServer server)
    {
        _dir = dir;
        _store = store;
        _server = server;
    }

    private string AuditLogPath => Path.Combine(_dir.FullName, "audit", "audit.log");

    public static async Task<BenchServer> StartAsync(string? auditLevel, string authorizationMode)
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("navarch-bench-filters-");
        string tokens = Path.Combine(dir.FullName, "tokens.csv");
        await File.WriteAllTextAsync(tokens, "bench-token-0123456789,bench,bench-uid,\"bench\"\n");
        var audit = new AuditOptions();
        if (auditLevel is not null)
        {
            string policy = Path.Combine(dir.FullName, "policy.yaml");
            await File.WriteAllTextAsync(policy, $"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: {auditLevel}\n");
            audit = new AuditOptions { PolicyFile = policy, LogPath = Path.Combine(dir.FullName, "audit", "audit.log") };
        }

        IStore store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(dir.FullName, "server", "db", "state.db"), LoggerFactory = NullLoggerFactory.Instance });
        var server = new Navarch.ApiServer.ApiServer(store, new ApiServerOptions { DataDir = dir.FullName, Port = 0, BindAddress = IPAddress.Loopback, TokenAuthFile = tokens, AuthorizationMode = authorizationMode, Audit = audit }, NullLoggerFactory.Instance);
        await server.StartAsync();
        return new BenchServer(dir, store, server);
    }

    /// <summary>A client with the admin certificate, or with <paramref name="token"/> as its only credential.</summary>
    public HttpClient Client(string? token)
    {
        Navarch.ApiServer.ApiServer server = _server;
        var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is X509Certificate2 c && server.Pki.IsSignedByCa(c) },
            EnableMultipleHttp2Connections = true,
        };
        if (token is null)
        {
            handler.SslOptions.ClientCertificates = [server.Pki.Admin];
        }

        var http = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{server.Port}"), DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    /// <summary>The bytes in the audit log and its rotated files so far.</summary>
    public long AuditLogBytes() =>
        Directory.Exists(Path.GetDirectoryName(AuditLogPath)) ? Directory.GetFiles(Path.GetDirectoryName(AuditLogPath)!).Sum(f => new FileInfo(f).Length) : 0;

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _store.DisposeAsync();
        _dir.Delete(recursive: true);
    }
}
