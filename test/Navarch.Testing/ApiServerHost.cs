using System.Net;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer;
using Navarch.ApiServer.Audit;
using Navarch.Storage;
using Navarch.Storage.Sqlite;

namespace Navarch.Testing;

/// <summary>
/// A real Navarch API server on loopback over a temp SQLite store (opened here, as the server's composition root
/// opens it), with the official client for it; the data dir is removed on dispose. Tests of anything that talks to the API server start one of these — never a mock.
/// </summary>
public sealed class ApiServerHost : IAsyncDisposable
{
    private readonly DirectoryInfo _dir;

    private readonly string _authorizationMode;

    private readonly string? _admissionConfigFile;

    private readonly AuditOptions? _audit;

    private readonly TimeProvider? _time;

    private readonly string? _encryptionProviderConfig;

    private readonly bool _secretsEncryption;

    private IStore _store;

    private ApiServerHost(DirectoryInfo dir, (ApiServer.ApiServer Server, IStore Store) started, string authorizationMode, string? admissionConfigFile, AuditOptions? audit, TimeProvider? time, string? encryptionProviderConfig, bool secretsEncryption)
    {
        _dir = dir;
        _authorizationMode = authorizationMode;
        _admissionConfigFile = admissionConfigFile;
        _audit = audit;
        _time = time;
        _encryptionProviderConfig = encryptionProviderConfig;
        _secretsEncryption = secretsEncryption;
        (Server, _store) = started;
        Client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Server.AdminKubeconfigPath));
    }

    /// <summary>The server.</summary>
    public ApiServer.ApiServer Server { get; private set; }

    /// <summary>The official client, with the admin credentials.</summary>
    public Kubernetes Client { get; }

    /// <summary>The data dir.</summary>
    public string DataDir => _dir.FullName;

    /// <summary>
    /// Starts a server; <paramref name="port"/> 0 picks a free one (pass a fixed one to restart on the same address).
    /// AlwaysAllow unless told otherwise: these tests are about the API's mechanics, not who may use it.
    /// <paramref name="admissionControlConfigFile"/> is kube-apiserver's --admission-control-config-file,
    /// <paramref name="audit"/> its --audit-* flags; <paramref name="time"/> replaces the server's clock;
    /// <paramref name="encryptionProviderConfig"/> is its --encryption-provider-config (read again at every restart), and
    /// <paramref name="secretsEncryption"/> k3s's --secrets-encryption.
    /// </summary>
    public static async Task<ApiServerHost> StartAsync(int port = 0, string? tokenAuthFile = null, int maxInFlight = 400, string authorizationMode = "AlwaysAllow", string? admissionControlConfigFile = null, AuditOptions? audit = null, TimeProvider? time = null, string? encryptionProviderConfig = null, bool secretsEncryption = false)
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("navarch-api-");
        try
        {
            return new ApiServerHost(dir, await StartServerAsync(dir.FullName, port, tokenAuthFile, maxInFlight, authorizationMode, admissionControlConfigFile, audit, time, encryptionProviderConfig, secretsEncryption), authorizationMode, admissionControlConfigFile, audit, time, encryptionProviderConfig, secretsEncryption);
        }
        catch
        {
            // A server that refused to start (tests of bad configuration do this on purpose) leaves no data dir behind.
            dir.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>An HttpClient trusting the cluster CA, with or without the admin certificate, for raw requests.</summary>
    public HttpClient NewHttp(bool withClientCertificate)
    {
        ApiServer.ApiServer server = Server;
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && server.Pki.IsSignedByCa(cert),
        };
        if (withClientCertificate)
        {
            handler.ClientCertificates.Add(server.Pki.Admin);
        }

        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{server.Port}") };
    }

    /// <summary>Stops the server and starts a new one on the same data dir and port (a server restart).</summary>
    public async Task RestartAsync()
    {
        int port = Server.Port;
        await Server.DisposeAsync();
        await _store.DisposeAsync();
        (Server, _store) = await StartServerAsync(_dir.FullName, port, null, 400, _authorizationMode, _admissionConfigFile, _audit, _time, _encryptionProviderConfig, _secretsEncryption);
    }

    private static async Task<(ApiServer.ApiServer Server, IStore Store)> StartServerAsync(string dataDir, int port, string? tokenAuthFile, int maxInFlight, string authorizationMode, string? admissionControlConfigFile, AuditOptions? audit, TimeProvider? time, string? encryptionProviderConfig, bool secretsEncryption)
    {
        IStore store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(dataDir, "server", "db", "state.db"), LoggerFactory = NullLoggerFactory.Instance });
        var server = new ApiServer.ApiServer(store, new ApiServerOptions { DataDir = dataDir, Port = port, BindAddress = IPAddress.Loopback, TokenAuthFile = tokenAuthFile, MaxInFlight = maxInFlight, AuthorizationMode = authorizationMode, AdmissionControlConfigFile = admissionControlConfigFile, Audit = audit ?? new AuditOptions(), Time = time ?? TimeProvider.System, EncryptionProviderConfig = encryptionProviderConfig, SecretsEncryption = secretsEncryption }, NullLoggerFactory.Instance);
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

        return (server, store);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            Client.Dispose();
            await Server.DisposeAsync();
            await _store.DisposeAsync();
        }
        finally
        {
            _dir.Delete(recursive: true);
        }
    }
}
