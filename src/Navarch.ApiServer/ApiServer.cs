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
    private IStore _store;
    private Storage.Encryption.SecretsEncryption? _encryption;
    private WebApplication? _app;
    private RequestPipeline? _pipeline;

    private Health.HealthEndpoints? _health;
    private WatchCaches? _caches;
    private StoreRegistry? _stores;
    private Apiextensions.CustomResourceDefinitionController? _crds;
    private Reconcilers.ClusterAuthenticationTrustController? _authenticationTrust;
    private KubeletProxy? _kubelets;
    private Authorization.Node.GraphPopulator? _nodeGraph;
    private Audit.AuditFilter? _audit;
    private CertificateRenewer? _renewer;
    private Aggregator.ApiServiceTransport? _aggregatorTransport;
    private Aggregator.AvailableConditionController? _availability;
    private Aggregator.OpenApiAggregationController? _openApiAggregation;
    private Aggregator.DiscoveryAggregationController? _discoveryAggregation;
    private ResourceMetrics.ResourceMetricsScraper? _resourceMetrics;
    private ContainerLogs.ContainerLogStore? _containerLogs;
    private Admission.Webhooks.WebhookPlugins? _webhooks;
    private Identity.PeerLeases? _peers;
    private string? _url;

    /// <summary>Creates a server over <paramref name="store"/> (opened, and closed, by the caller); nothing runs until <see cref="StartAsync"/>.</summary>
    public ApiServer(IStore store, ApiServerOptions options, ILoggerFactory loggerFactory)
    {
        _store = store;
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<ApiServer>();
    }

    /// <summary>The request-body bytes held at once; tests read how much is reserved.</summary>
    internal BodyBudget Bodies { get; private set; } = null!;

    /// <summary>The port the server listens on (known after start).</summary>
    public int Port { get; private set; }

    /// <summary>The cluster certificates.</summary>
    public ClusterPki Pki { get; private set; } = null!;

    /// <summary>The aggregator's front-proxy CA and client certificate.</summary>
    public FrontProxyPki FrontProxy { get; private set; } = null!;

    /// <summary>The server's join token (known after start).</summary>
    public Join.ServerToken JoinToken { get; private set; } = null!;

    /// <summary>The admin kubeconfig under the data dir.</summary>
    public string AdminKubeconfigPath => Path.Combine(_options.DataDir, "server", "cred", "admin.kubeconfig");

    /// <summary>
    /// A kubeconfig for this server with a fresh client certificate of <paramref name="user"/> in <paramref name="group"/>:
    /// how the server's own agent gets the credentials a joined agent is issued.
    /// </summary>
    public string ClientKubeconfig(string user, string? group) =>
        Pki.ClientKubeconfig(_url ?? throw new InvalidOperationException("not started"), user, group);

    /// <summary>The store the server stands on.</summary>
    public IStore Store => _store;

    /// <summary>Bootstraps the cluster objects and starts serving.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        string serverDir = Path.Combine(_options.DataDir, "server");
        // The datastore as given, before metering and encryption wrap it: the bootstrap data is stored in it directly.
        IStore datastore = _store;
        _audit = Audit.AuditFilter.Create(_options.Audit, _options.Time, _loggerFactory);
        ResourceCatalog catalog = ResourceCatalog.CreateBuiltIn();
        _health = new Health.HealthEndpoints(() => _store);
        Metrics.ApiServerMetrics? metrics = _options.Metrics ? new Metrics.ApiServerMetrics(catalog, () => _store) : null;
        if (metrics is not null)
        {
            // Under encryption, as kube-apiserver times its etcd requests and not the transformers.
            _store = new Metrics.MeteredStore(_store, metrics);
        }

        // Encryption at rest sits between everything the server does and the store, as kube-apiserver's transformers.
        _encryption = Storage.Encryption.SecretsEncryption.Open(_store, catalog, _options, _loggerFactory);
        _store = _encryption.Store;
        var allocator = new Registry.Services.ServiceAllocator(_store, _options.ServiceCidr);
        Pki = ClusterPki.LoadOrCreate(Path.Combine(serverDir, "tls"), allocator.First, _options.Time, _options.BindAddress.Equals(IPAddress.Any) || _options.BindAddress.Equals(IPAddress.IPv6Any) ? [] : [_options.BindAddress]);
        FrontProxy = FrontProxyPki.LoadOrCreate(Path.Combine(serverDir, "tls"), _options.Time);
        // A --token made before a CA rotation (the hash of the CA it replaced) still names this cluster.
        JoinToken = Join.ServerToken.LoadOrCreate(serverDir, Join.JoinToken.HashOf(Join.JoinToken.CaBundle(Pki.TrustedCas)), _options.Token, [.. Pki.TrustedCas.Skip(1).Select(ca => Join.JoinToken.HashOf(Join.JoinToken.CaBundle([ca])))]);
        // A secrets-encrypt change stores the bootstrap data again at once, so a snapshot taken from then on has the new keys.
        _encryption.ConfigChanged = ct => Join.BootstrapData.SaveAsync(datastore, serverDir, JoinToken.Token.ToString(), ct);
        _caches = new WatchCaches(_store, _loggerFactory);
        IReadOnlyList<string> authorizationModes = Authorization.AuthorizationModes.Parse(_options.AuthorizationMode);
        _webhooks = new Admission.Webhooks.WebhookPlugins(_caches, catalog, _loggerFactory);
        var limitRanges = new Admission.ObjectLister<k8s.Models.V1LimitRange>(_caches, catalog.Find("", "v1", "limitranges")!);
        var storageClasses = new Admission.ObjectLister<k8s.Models.V1StorageClass>(_caches, catalog.Find("storage.k8s.io", "v1", "storageclasses")!);

        // kube-apiserver's default plugin order: the built-in mutating ones, the mutating webhooks, the policies, the
        // validating webhooks, and quota last (it charges only what everything else let through).
        var admission = new Admission.AdmissionChain(
        [
            new Admission.NamespaceLifecycle(_store, catalog),
            new Admission.LimitRanger(limitRanges, mutating: true),
            new Admission.LimitRanger(limitRanges, mutating: false),
            new Admission.ServiceAccountAdmission(_store, catalog, mountTokens: authorizationModes.Contains(Authorization.AuthorizationModes.Rbac)),
            new Admission.PodSecurity.PodSecurityAdmission(_store, catalog, Admission.PodSecurity.PodSecurityConfiguration.Load(_options.AdmissionControlConfigFile), _options.Time),
            new Admission.PriorityAdmission(new Admission.ObjectLister<k8s.Models.V1PriorityClass>(_caches, catalog.Find("scheduling.k8s.io", "v1", "priorityclasses")!)),
            new Admission.DefaultTolerationSeconds(),
            new Admission.RuntimeClassAdmission(new Admission.ObjectLister<k8s.Models.V1RuntimeClass>(_caches, catalog.Find("node.k8s.io", "v1", "runtimeclasses")!)),
            new Admission.NodeRestriction(_store, catalog),
            new Admission.Storage.DefaultStorageClass(storageClasses),
            new Admission.Storage.StorageObjectInUseProtection(),
            new Admission.Storage.PersistentVolumeClaimResize(storageClasses),
            _webhooks.Mutating,
            _webhooks.Policies,
            _webhooks.Validating,
            new Admission.ResourceQuotaAdmission(_store, catalog, _caches, _options.Time),
        ]);
        var stores = _stores = new StoreRegistry(catalog, _store, _caches, admission, BuiltInRegistry.Hooks(_store, allocator, _options.Time), _options.Time);
        await Bootstrap.RunAsync(stores, allocator, cancellationToken);
        await Aggregator.LocalApiServices.RegisterAsync(catalog, stores, cancellationToken);
        _authenticationTrust = new Reconcilers.ClusterAuthenticationTrustController(stores, Pki, FrontProxy, _options.Time, _loggerFactory.CreateLogger<Reconcilers.ClusterAuthenticationTrustController>());
        await _authenticationTrust.StartAsync(cancellationToken);
        _crds = new Apiextensions.CustomResourceDefinitionController(stores, catalog, new Apiextensions.Conversion.CustomResourceConversions(_webhooks.Client), _options.Time, _loggerFactory.CreateLogger<Apiextensions.CustomResourceDefinitionController>());
        await _crds.StartAsync(cancellationToken);

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
                    // The current one, so a renewal reaches the next handshake.
                    ServerCertificateSelector = (_, _) => Pki.Serving,
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    // Chains are checked against the cluster CA by the authenticator, not the system store; the handshake
                    // builds its own chain offline, so a client certificate's AIA or CRL URLs are never fetched.
                    ClientCertificateValidation = (_, _, _) => true,
                    CheckCertificateRevocation = false,
                    OnAuthenticate = (_, ssl) =>
                    {
                        ssl.CertificateChainPolicy = Api.Certificates.CertificateChains.Offline();
                        if (Pki.CaIntermediates.Count > 0)
                        {
                            // During a CA rotation the cross-signed CA goes with the serving certificate, for clients that trust only the old CA.
                            ssl.ServerCertificateSelectionCallback = null;
                            ssl.ServerCertificate = null;
                            ssl.ServerCertificateContext = Pki.ServingContext;
                        }
                    },
                });
            });
        });

        builder.Services.AddHttpForwarder();
        _app = builder.Build();
        _kubelets = new KubeletProxy(_app.Services.GetRequiredService<Yarp.ReverseProxy.Forwarder.IHttpForwarder>(), Pki);
        var bootstrapTokens = new Join.BootstrapTokens(_store, catalog.Find("", "v1", "secrets")!, _options.Time);
        var serviceAccountTokens = new ServiceAccounts.ServiceAccountTokens(Pki.ServiceAccountKey, _store, catalog, _options.Time);
        var authentication = new Http.Authentication(Pki, _options.TokenAuthFile, serviceAccountTokens, bootstrapTokens);
        var rbac = new Authorization.Rbac.RbacRuleResolver(new Authorization.Rbac.RbacListers(_caches, catalog));
        Authorization.Node.Graph? nodeGraph = null;
        if (authorizationModes.Contains(Authorization.AuthorizationModes.Node))
        {
            // The graph is filled before the first request is served, so no kubelet meets an empty one.
            nodeGraph = new Authorization.Node.Graph();
            _nodeGraph = new Authorization.Node.GraphPopulator(nodeGraph, _caches, catalog, _loggerFactory.CreateLogger<Authorization.Node.GraphPopulator>());
            await _nodeGraph.StartAsync(cancellationToken);
        }

        (Authorization.IAuthorizer authorizer, Authorization.IRuleResolver rules) = Authorization.AuthorizationModes.Create(authorizationModes, nodeGraph, rbac);
        _resourceMetrics = new ResourceMetrics.ResourceMetricsScraper(stores, _kubelets, _options.MetricResolution, _options.Time, _loggerFactory.CreateLogger<ResourceMetrics.ResourceMetricsScraper>());
        _containerLogs = await ContainerLogs.ContainerLogStore.OpenAsync(Path.Combine(_options.DataDir, "server", "containerlogs"), _options.ContainerLogs, _options.Time, _loggerFactory.CreateLogger<ContainerLogs.ContainerLogStore>(), cancellationToken);
        var subresources = BuiltInRegistry.Subresources(stores, _kubelets, serviceAccountTokens, authorizer, rules, rbac, authentication, _resourceMetrics, _containerLogs, _options.Time);
        var handler = new ResourceHandler(stores, subresources, _logger);
        var apiServiceEndpoints = new Aggregator.ApiServiceEndpoints(stores);
        _aggregatorTransport = new Aggregator.ApiServiceTransport(FrontProxy);
        var apiServiceDownloader = new Aggregator.ApiServiceDownloader(apiServiceEndpoints, _aggregatorTransport);
        _openApiAggregation = new Aggregator.OpenApiAggregationController(stores, apiServiceDownloader, _options.Time, _loggerFactory.CreateLogger<Aggregator.OpenApiAggregationController>());
        _discoveryAggregation = new Aggregator.DiscoveryAggregationController(stores, apiServiceDownloader, _options.Time, _loggerFactory.CreateLogger<Aggregator.DiscoveryAggregationController>());
        var aggregator = new Aggregator.ApiAggregator(stores, apiServiceEndpoints, _aggregatorTransport, _app.Services.GetRequiredService<Yarp.ReverseProxy.Forwarder.IHttpForwarder>(), _openApiAggregation, _discoveryAggregation);
        var prometheus = new PrometheusDiscovery.PrometheusServiceDiscovery(_caches, catalog, authorizer, _options.PrometheusDiscovery, _options.AdvertiseNodeName);
        var pipeline = _pipeline = new RequestPipeline(
            catalog,
            handler,
            new Discovery(catalog),
            authentication,
            authorizer,
            new Authentication.Impersonation(authorizer),
            new Join.JoinEndpoints(Pki, JoinToken, bootstrapTokens, datastore, _options.Time, _loggerFactory.CreateLogger<Join.JoinEndpoints>(), () => _options.EtcdClientUrls),
            new Storage.Encryption.EncryptionEndpoints(_encryption),
            _options.MaxInFlight,
            Bodies = new BodyBudget(_options.MaxInFlightBodyBytes, _options.Time),
            _health,
            _logger,
            _audit,
            aggregator,
            metrics,
            prometheus,
            _options.Time);
        _app.Run(pipeline.InvokeAsync);
        await _app.StartAsync(cancellationToken);
        Port = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        // Bound to every address, this machine reaches the server on loopback; bound to one address, only there.
        IPAddress local = _options.BindAddress.Equals(IPAddress.Any) || _options.BindAddress.Equals(IPAddress.IPv6Any) ? IPAddress.Loopback : _options.BindAddress;
        string hostPort = new IPEndPoint(local, Port).ToString();
        pipeline.ServerAddress = hostPort;
        prometheus.ServerAddress = new IPEndPoint(local, Port);

        _url = $"https://{hostPort}";
        await WriteKubeconfigsAsync(cancellationToken);
        _renewer = new CertificateRenewer(Pki, _options.Time, WriteKubeconfigsAsync, _loggerFactory.CreateLogger<CertificateRenewer>(), FrontProxy);
        _renewer.Start();
        _availability = new Aggregator.AvailableConditionController(stores, apiServiceEndpoints, _aggregatorTransport, _options.Time, _loggerFactory.CreateLogger<Aggregator.AvailableConditionController>());
        // The local APIServices are Available before the server is reported started (no status writes trail the start).
        await _availability.SyncAllAsync(cancellationToken);
        _availability.Start();
        _openApiAggregation.Start();
        _discoveryAggregation.Start();
        if (_options.MetricResolution > TimeSpan.Zero)
        {
            _resourceMetrics.Start();
        }

        _health.Started();
        LogListening(_logger, Port, _store.Backend);
        // kube-apiserver's post-start hooks that make it one of several: its identity Lease, their collector, the lease endpoint reconciler.
        _peers = await Identity.PeerLeases.StartAsync(_store, Pki, _url, Port, _options, _loggerFactory, cancellationToken);
    }

    /// <summary>Writes the admin kubeconfig (and <c>--write-kubeconfig</c>) with the current admin certificate.</summary>
    private Task WriteKubeconfigsAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string kubeconfig = Pki.AdminKubeconfig(_url!);
        PrivateFiles.CreateDirectory(Path.GetDirectoryName(AdminKubeconfigPath)!);
        PrivateFiles.Write(AdminKubeconfigPath, kubeconfig);
        if (_options.WriteKubeconfig is { } path)
        {
            // 0600 unless --write-kubeconfig-mode says otherwise, as k3s: it holds system:masters credentials.
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            PrivateFiles.Write(path, kubeconfig, _options.WriteKubeconfigMode is { } mode ? (UnixFileMode)Convert.ToInt32(mode, 8) : PrivateFiles.OwnerOnly);
        }

        return Task.CompletedTask;
    }

    /// <summary>Stops serving; the store stays open for its owner to close.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_peers is not null)
        {
            // Before serving stops (kube-apiserver's pre-shutdown hook): clients are sent elsewhere first.
            await _peers.DisposeAsync();
            _peers = null;
        }

        _health?.ShuttingDown();
        if (_renewer is not null)
        {
            await _renewer.DisposeAsync();
            _renewer = null;
        }

        if (_availability is not null)
        {
            await _availability.DisposeAsync();
            _availability = null;
        }

        if (_openApiAggregation is not null)
        {
            await _openApiAggregation.DisposeAsync();
            _openApiAggregation = null;
        }

        if (_discoveryAggregation is not null)
        {
            await _discoveryAggregation.DisposeAsync();
            _discoveryAggregation = null;
        }

        if (_resourceMetrics is not null)
        {
            await _resourceMetrics.DisposeAsync();
            _resourceMetrics = null;
        }

        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
            await _app.DisposeAsync();
            _app = null;
        }

        if (_containerLogs is not null)
        {
            await _containerLogs.DisposeAsync();
            _containerLogs = null;
        }

        _webhooks?.Dispose();
        _pipeline?.Dispose();
        _pipeline = null;
        if (_audit is not null)
        {
            // The events of the requests served are written before the server is gone.
            await _audit.DisposeAsync();
            _audit = null;
        }

        _kubelets?.Dispose();
        _kubelets = null;
        _aggregatorTransport?.Dispose();
        _aggregatorTransport = null;
        if (_nodeGraph is not null)
        {
            await _nodeGraph.DisposeAsync();
            _nodeGraph = null;
        }

        if (_crds is not null)
        {
            await _crds.DisposeAsync();
            _crds = null;
        }

        if (_authenticationTrust is not null)
        {
            await _authenticationTrust.DisposeAsync();
            _authenticationTrust = null;
        }

        _stores?.Dispose();
        _stores = null;
        if (_encryption is not null)
        {
            await _encryption.DisposeAsync();
            _store = _encryption.Store.Inner;
            _encryption = null;
        }

        if (_store is Metrics.MeteredStore metered)
        {
            _store = metered.Inner;
        }
        if (_caches is not null)
        {
            await _caches.DisposeAsync();
            _caches = null;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync();

    [LoggerMessage(Level = LogLevel.Information, Message = "API server listening on port {Port} over the {Backend} store")]
    private static partial void LogListening(ILogger logger, int port, string backend);
}
