using System.Globalization;
using System.Net;
using System.Text.Json;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.ApiServer.Http;
using Navarch.ApiServer.Pki;
using Navarch.ApiServer.Registry;
using Navarch.Storage;
using Navarch.Storage.Etcd;
using Navarch.Storage.Sqlite;

namespace Navarch.ApiServer;

/// <summary>
/// The API server: Kubernetes REST over the store, on HTTPS with the cluster's certificates. Tests and the
/// <c>navarch server</c> command both start it through <see cref="StartAsync"/>.
/// </summary>
public sealed partial class ApiServer : IAsyncDisposable
{
    /// <summary>The Kubernetes version Navarch speaks.</summary>
    public const string KubernetesVersion = "v1.32.0";

    private readonly ApiServerOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private WebApplication? _app;
    private IStore? _store;
    private PeriodicCompactor? _compactor;
    private RequestPipeline? _pipeline;
    private WatchCaches? _caches;
    private StoreRegistry? _stores;
    private KubeletProxy? _kubelets;

    /// <summary>Creates a server; nothing runs until <see cref="StartAsync"/>.</summary>
    public ApiServer(ApiServerOptions options, ILoggerFactory loggerFactory)
    {
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<ApiServer>();
    }

    /// <summary>The port the server listens on (known after start).</summary>
    public int Port { get; private set; }

    /// <summary>The cluster certificates.</summary>
    public ClusterPki Pki { get; private set; } = null!;

    /// <summary>The server's join token (known after start).</summary>
    public Join.ServerToken JoinToken { get; private set; } = null!;

    /// <summary>The admin kubeconfig under the data dir.</summary>
    public string AdminKubeconfigPath => Path.Combine(_options.DataDir, "server", "cred", "admin.kubeconfig");

    /// <summary>The store the server stands on.</summary>
    public IStore Store => _store ?? throw new InvalidOperationException("not started");

    /// <summary>Opens the store, bootstraps the cluster objects and starts serving.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        string serverDir = Path.Combine(_options.DataDir, "server");
        _store = string.IsNullOrEmpty(_options.DatastoreEndpoint)
            ? await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(serverDir, "db", "state.db"), LoggerFactory = _loggerFactory, Time = _options.Time }, cancellationToken)
            : await EtcdStore.OpenAsync(new EtcdStoreOptions { Endpoints = _options.DatastoreEndpoint, LoggerFactory = _loggerFactory }, cancellationToken);
        _compactor = new PeriodicCompactor(_store, _options.CompactionWindow, _options.Time, _loggerFactory.CreateLogger<PeriodicCompactor>());
        _compactor.Start();

        ResourceCatalog catalog = ResourceCatalog.CreateBuiltIn();
        var allocator = new Registry.Services.ServiceAllocator(_store, _options.ServiceCidr);
        Pki = ClusterPki.LoadOrCreate(Path.Combine(serverDir, "tls"), allocator.First);
        JoinToken = Join.ServerToken.LoadOrCreate(serverDir, Join.JoinToken.HashOf(Join.JoinToken.CaBundle(Pki.Ca)), _options.Token);
        _caches = new WatchCaches(_store, _loggerFactory);
        var admission = new Admission.AdmissionChain([new Admission.NamespaceLifecycle(_store, catalog), new Admission.ServiceAccountAdmission(_store, catalog, mountTokens: _options.AuthorizationMode == "RBAC"), new Admission.DefaultTolerationSeconds()]);
        var stores = _stores = new StoreRegistry(catalog, _store, _caches, admission, BuiltInRegistry.Hooks(_store, allocator), _options.Time);
        await Bootstrap.RunAsync(stores, allocator, cancellationToken);

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = RequestBody.MaxBytes + 1024;
            kestrel.Listen(_options.BindAddress, _options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = Pki.Serving,
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    // Chains are checked against the cluster CA by the authenticator, not the system store; the handshake
                    // builds its own chain offline, so a client certificate's AIA or CRL URLs are never fetched.
                    ClientCertificateValidation = (_, _, _) => true,
                    CheckCertificateRevocation = false,
                    OnAuthenticate = (_, ssl) => ssl.CertificateChainPolicy = Api.Certificates.CertificateChains.Offline(),
                });
            });
        });

        builder.Services.AddHttpForwarder();
        _app = builder.Build();
        _kubelets = new KubeletProxy(_app.Services.GetRequiredService<Yarp.ReverseProxy.Forwarder.IHttpForwarder>(), Pki);
        var bootstrapTokens = new Join.BootstrapTokens(_store, catalog.Find("", "v1", "secrets")!, _options.Time);
        var serviceAccountTokens = new ServiceAccounts.ServiceAccountTokens(Pki.ServiceAccountKey, _store, catalog, _options.Time);
        var handler = new ResourceHandler(stores, BuiltInRegistry.Subresources(stores, _kubelets, serviceAccountTokens, _options.Time), _logger);
        var authentication = new Authentication(Pki, _options.TokenAuthFile, serviceAccountTokens, bootstrapTokens);
        Authorization.IAuthorizer authorizer = _options.AuthorizationMode == "RBAC"
            ? new Authorization.RbacAuthorizer(_caches, catalog)
            : new Authorization.AllowAuthenticated();
        var pipeline = _pipeline = new RequestPipeline(
            catalog,
            handler,
            new Discovery(catalog),
            authentication,
            authorizer,
            new SelfReviews(authorizer, _options.Time),
            new Join.JoinEndpoints(Pki, JoinToken, bootstrapTokens, _options.Time, _loggerFactory.CreateLogger<Join.JoinEndpoints>()),
            _options.MaxInFlight,
            new BodyBudget(_options.MaxInFlightBodyBytes, _options.Time),
            _logger);
        _app.Run(pipeline.InvokeAsync);
        await _app.StartAsync(cancellationToken);
        Port = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        // Bound to every address, this machine reaches the server on loopback; bound to one address, only there.
        IPAddress local = _options.BindAddress.Equals(IPAddress.Any) || _options.BindAddress.Equals(IPAddress.IPv6Any) ? IPAddress.Loopback : _options.BindAddress;
        string hostPort = new IPEndPoint(local, Port).ToString();
        pipeline.ServerAddress = hostPort;

        string kubeconfig = Pki.AdminKubeconfig($"https://{hostPort}");
        Directory.CreateDirectory(Path.GetDirectoryName(AdminKubeconfigPath)!);
        await File.WriteAllTextAsync(AdminKubeconfigPath, kubeconfig, cancellationToken);
        File.SetUnixFileMode(AdminKubeconfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        if (_options.WriteKubeconfig is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await File.WriteAllTextAsync(path, kubeconfig, cancellationToken);
            if (_options.WriteKubeconfigMode is { } mode)
            {
                File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32(mode, 8));
            }
        }

        LogListening(_logger, Port, _store.Backend);
    }

    /// <summary>Stops serving and closes the store.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
            await _app.DisposeAsync();
            _app = null;
        }

        _pipeline?.Dispose();
        _pipeline = null;
        _kubelets?.Dispose();
        _kubelets = null;
        _stores?.Dispose();
        _stores = null;
        if (_caches is not null)
        {
            await _caches.DisposeAsync();
            _caches = null;
        }

        if (_compactor is not null)
        {
            await _compactor.DisposeAsync();
            _compactor = null;
        }

        if (_store is not null)
        {
            await _store.DisposeAsync();
            _store = null;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync();

    [LoggerMessage(Level = LogLevel.Information, Message = "API server listening on port {Port} over the {Backend} store")]
    private static partial void LogListening(ILogger logger, int port, string backend);
}
