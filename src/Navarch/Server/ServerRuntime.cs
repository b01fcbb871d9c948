using System.Net;
using System.Security.Cryptography.X509Certificates;
using k8s;
using Microsoft.Extensions.Logging;
using Navarch.Agent;
using Navarch.ApiServer.Join;
using Navarch.Client.Certificates;
using Navarch.Controllers;
using Navarch.Controllers.RootCaPublisher;
using Navarch.Dns;
using Navarch.Manifests;
using Navarch.Scheduler;

namespace Navarch.Server;

/// <summary>
/// The control plane on this machine (k3s's pkg/server), composed in explicit stages: <see cref="StartApiServerAsync"/>
/// opens the store and serves the API on it; <see cref="StartComponentsAsync"/> starts everything else as a client of
/// that API (hub and spoke, even in-process) — the manifests applier, the controller manager, the scheduler, then this
/// machine's agent and the cluster DNS; <see cref="StopAsync"/> stops them in the reverse order.
/// </summary>
internal sealed partial class ServerRuntime(ServerOptions options, ILoggerFactory logging) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private CancellationTokenSource? _running;
    private Etcd.EmbeddedEtcd? _etcd;
    private string? _leaderElectionIdentity;
    private Datastore? _datastore;
    private Snapshots.SnapshotScheduler? _snapshots;
    private ApiServer.ApiServer? _apiServer;
    private Kubernetes? _manifestsClient;
    private Kubernetes? _client;
    private Task _manifests = Task.CompletedTask;
    private Task _controllers = Task.CompletedTask;
    private Task _scheduler = Task.CompletedTask;
    private Etcd.EtcdMemberController? _etcdMembers;
    private Task _etcdMemberLoop = Task.CompletedTask;
    private ApiServer.SecureServing.SecureMetricsServer? _controllerManagerPort;
    private ApiServer.SecureServing.SecureMetricsServer? _schedulerPort;
    private AgentClients? _agentClients;
    private CertificateManager? _kubeletServing;
    private AgentRuntime? _agent;
    private ClusterDnsServer? _dns;
    private bool _stopped;

    /// <summary>
    /// Stage one: opens the store and starts the API server on it (bootstrap objects, serving, the <c>kubernetes</c>
    /// Service's endpoints). A setting the user can fix (e.g. a <c>--token</c> made for another cluster's CA) throws
    /// <see cref="InvalidDataException"/>.
    /// </summary>
    public async Task StartApiServerAsync(CancellationToken cancellationToken)
    {
        _running = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        DataDirPermissions.SecureServer(options.ApiServer.DataDir);
        // Made before anything serves, so the data dir a started server shows is the one it keeps.
        _leaderElectionIdentity = LeaderElectionIdentity.LoadOrCreate(options.ApiServer.DataDir, options.Agent?.Kubelet.NodeName ?? Environment.MachineName.ToLowerInvariant());
        await ClusterReset.RunAsync(options.ApiServer.DataDir, options.DatastoreEndpoint, options.Snapshots, options.EmbeddedEtcd, options.ApiServer.Token, options.ApiServer.Time, logging.CreateLogger("Navarch.Server"), _running.Token);
        _datastore = options.EmbeddedEtcd is { } embedded
            ? await OpenEmbeddedEtcdAsync(embedded with { ForceNewCluster = ClusterReset.ForcesNewCluster(options.Snapshots) }, _running.Token)
            : await OpenDatastoreAsync(_running.Token);
        _snapshots = Snapshots.SnapshotScheduler.StartFor(_datastore.Store, options.Snapshots, options.ApiServer.DataDir, options.ApiServer.Time, logging.CreateLogger<Snapshots.SnapshotScheduler>());
        if (options.ApiServer.Token is { Length: > 0 } token)
        {
            await BootstrapData.CheckTokenAsync(_datastore.Store, token, _running.Token);
        }

        _apiServer = new ApiServer.ApiServer(_datastore.Store, options.ApiServer, logging);
        await _apiServer.StartAsync(_running.Token);
        await BootstrapData.SaveAsync(_datastore.Store, Path.Combine(options.ApiServer.DataDir, "server"), _apiServer.JoinToken.Token.ToString(), _running.Token);
    }

    /// <summary>Opens the SQLite file or connects to the external etcd; after a restore of a SQLite snapshot, bumps its revision before it serves.</summary>
    private async Task<Datastore> OpenDatastoreAsync(CancellationToken cancellationToken)
    {
        Datastore datastore = await Datastore.OpenAsync(options.ApiServer.DataDir, options.DatastoreEndpoint, options.ApiServer.Time, logging, cancellationToken);
        await ClusterReset.BumpRevisionIfRestoredAsync(options.ApiServer.DataDir, datastore.Store, logging.CreateLogger("Navarch.Server"), cancellationToken);
        return datastore;
    }

    /// <summary>Starts (or joins) this server's embedded etcd member and opens the store on it.</summary>
    private async Task<Datastore> OpenEmbeddedEtcdAsync(Etcd.EmbeddedEtcdOptions embedded, CancellationToken cancellationToken)
    {
        _etcd = await Etcd.EmbeddedEtcd.StartAsync(embedded, logging, cancellationToken);
        Datastore datastore = await Datastore.OpenEmbeddedAsync(_etcd, options.ApiServer.Time, logging, cancellationToken);
        await ClusterReset.BumpRevisionIfRestoredAsync(options.ApiServer.DataDir, datastore.Store, logging.CreateLogger("Navarch.Server"), cancellationToken);
        if (_etcd.Member.InitialClusterState == "new")
        {
            // A SQLite server restarted with --cluster-init: its objects move into the new cluster before the API serves.
            await Etcd.SqliteMigration.MigrateIfPresentAsync(options.ApiServer.DataDir, datastore.Store, options.ApiServer.Time, logging, cancellationToken);
        }

        return datastore;
    }

    /// <summary>
    /// Stage two: the manifests applier, the controller manager and the scheduler (running until stopped), then this
    /// machine's agent and the cluster DNS. Asked to stop meanwhile, it returns without finishing.
    /// </summary>
    public async Task StartComponentsAsync()
    {
        ApiServer.ApiServer server = _apiServer ?? throw new InvalidOperationException("The API server is not started.");
        CancellationToken token = _running!.Token;
        _manifestsClient = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.AdminKubeconfigPath));
        _manifests = new ManifestApplier(_manifestsClient, Path.Combine(options.ApiServer.DataDir, "server", "manifests"), logging.CreateLogger<ManifestApplier>()).RunAsync(token);
        if (options is { ControllerManager: null, Scheduler: null, Agent: null, Dns: null })
        {
            return;
        }

        KubernetesClientConfiguration clientConfig = KubernetesClientConfiguration.BuildConfigFromConfigFile(server.AdminKubeconfigPath);
        Kubernetes client = _client = new Kubernetes(clientConfig);
        // Every server runs them; only the holder of each one's Lease acts (a stable identity, handed over on a clean stop).
        string identity = _leaderElectionIdentity!;
        if (options.ControllerManager is { } controllerManager)
        {
            var manager = new ControllerManager(client, logging, options: controllerManager with { RootCaBundle = RootCaPublisherController.BundleOf(clientConfig), ClusterSigningCertificate = server.Pki.Ca, LeaderElection = controllerManager.LeaderElection ?? Leadership(ControllerManager.LeaseName, identity) });
            _controllers = CampaignAsync(manager.RunAsync, token);
            _controllerManagerPort = await SecurePorts.StartAsync("kube-controller-manager", controllerManager.SecurePort, client, manager.Metrics, logging, token);
        }

        if (options.Scheduler is { } scheduler)
        {
            var kubeScheduler = new KubeScheduler(client, logging, options: scheduler with { LeaderElection = scheduler.LeaderElection ?? Leadership(KubeScheduler.LeaseName, identity) });
            _scheduler = CampaignAsync(kubeScheduler.RunAsync, token);
            _schedulerPort = await SecurePorts.StartAsync("kube-scheduler", scheduler.SecurePort, client, kubeScheduler.Metrics, logging, token);
        }

        if (_etcd is not null && options.EmbeddedEtcd is { } embedded)
        {
            _etcdMembers = new Etcd.EtcdMemberController(client, _etcd, embedded.NodeName, logging, options.ApiServer.Time);
            _etcdMemberLoop = _etcdMembers.RunAsync(token);
        }

        try
        {
            await DefaultStorageClass.EnsureAsync(client, logging.CreateLogger("Navarch.Server"), token);
            if (options.Agent is { } agent)
            {
                // Like k3s, a server is also a node; its kubelet API serves only the API server. Its serving certificate
                // comes through a kubernetes.io/kubelet-serving CSR as a joined agent's (so both rotate alike); until the
                // first is issued (the Node must be registered for csrapproving), one the cluster CA signs here serves.
                string node = agent.Kubelet.NodeName;
                _agentClients = new AgentClients(server, node);
                CertificateManager serving = _kubeletServing = KubeletCertificates.ServingManager(_agentClients.Kubelet, Path.Combine(options.ApiServer.DataDir, "agent"), node, agent.Kubelet.InternalIp, logging.CreateLogger<CertificateManager>());
                _agent = new AgentRuntime(_agentClients.Kubelet, _agentClients.Proxy, agent with
                {
                    Kubelet = agent.Kubelet with
                    {
                        ServingCertificate = server.Pki.IssueServing(node, [node, "localhost"], [.. System.Net.Dns.GetHostAddresses(System.Net.Dns.GetHostName()), IPAddress.Loopback]),
                        CurrentServingCertificate = () => serving.Current,
                        ClientCa = X509CertificateLoader.LoadCertificate(server.Pki.Ca.RawData),
                    },
                }, logging);
                await _agent.StartAsync(token);
                // NodeRestriction keeps a kubelet from labelling itself a control plane: the server does it, as k3s's.
                await ControlPlaneLabels.ApplyAsync(client, node, logging.CreateLogger("Navarch.Server"), token);
                serving.Start();
            }

            if (options.Dns is { } dns)
            {
                _dns = await ClusterDnsHost.StartAsync(client, new ClusterDnsHostOptions
                {
                    Bind = dns.Bind,
                    PodBridge = options.Agent?.Kubelet.BridgeName,
                    NodeName = options.Agent?.Kubelet.NodeName,
                    ClusterIp = dns.ClusterIp,
                    Domain = dns.Domain,
                    Upstreams = dns.Upstreams,
                    ClusterNetworks = dns.ClusterNetworks,
                    MetricsPort = dns.MetricsPort,
                }, logging, token);
            }
        }
        catch (Exception) when (token.IsCancellationRequested)
        {
            // Asked to stop while starting (a cancelled call, or a CRI call cancelled as an RpcException): stop cleanly.
        }
    }

    /// <summary>Leader election on <paramref name="lease"/> with Kubernetes' timings, released on a clean stop.</summary>
    private static Client.Leadership.LeaderElectionOptions Leadership(string lease, string identity) =>
        new() { LeaseName = lease, Identity = identity, ReleaseOnCancel = true };

    /// <summary>
    /// Runs a component under leader election until stopped. kube-controller-manager and kube-scheduler exit when they
    /// lose their Lease (to be started again by their supervisor); inside navarch server the component campaigns again.
    /// </summary>
    private async Task CampaignAsync(Func<CancellationToken, Task> run, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await run(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
            {
                // The elector lets a failed request through (the API server unreachable for a moment, a 503 while its store
                // has no quorum): campaign again shortly rather than leave this server without controllers for good.
                LogCampaignFailed(logging.CreateLogger("Navarch.Server"), e.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>
    /// Stops in order: the DNS server, the proxy and the kubelet (its containerd with it) while the API server they
    /// report to is still up, so no containerd outlives this process; then the manifests applier, the controller
    /// manager and the scheduler; then the API server, then the store.
    /// </summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _stopping.CancelAsync();
        if (_dns is not null)
        {
            await _dns.DisposeAsync();
        }

        if (_kubeletServing is not null)
        {
            await _kubeletServing.DisposeAsync();
        }

        if (_agent is not null)
        {
            try
            {
                await _agent.StopAsync();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogProxyFailed(logging.CreateLogger("Navarch.Proxy"), e.Message);
            }
        }

        await _manifests;
        await _controllers;
        await _scheduler;
        await _etcdMemberLoop;
        _etcdMembers?.Dispose();
        if (_controllerManagerPort is not null)
        {
            await _controllerManagerPort.DisposeAsync();
        }

        if (_schedulerPort is not null)
        {
            await _schedulerPort.DisposeAsync();
        }

        if (_apiServer is not null)
        {
            await _apiServer.StopAsync(CancellationToken.None);
        }

        if (_snapshots is not null)
        {
            await _snapshots.DisposeAsync();
        }

        if (_datastore is not null)
        {
            await _datastore.DisposeAsync();
        }

        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            if (_agent is not null)
            {
                await _agent.DisposeAsync();
            }

            _agentClients?.Dispose();
            _client?.Dispose();
            _manifestsClient?.Dispose();
            _running?.Dispose();
            _stopping.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Leader election failed, campaigning again: {Reason}")]
    private static partial void LogCampaignFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The Service proxy stopped with an error: {Reason}")]
    private static partial void LogProxyFailed(ILogger logger, string reason);
}
