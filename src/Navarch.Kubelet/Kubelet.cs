using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client.Events;
using Navarch.Client.Informers;
using Navarch.Kubelet.Cache;
using Navarch.Kubelet.Containerd;
using Navarch.Kubelet.Containerd.Registries;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Images;
using Navarch.Kubelet.Metrics;
using Navarch.Kubelet.Network;
using Navarch.Kubelet.Node;
using Navarch.Kubelet.Pods;
using Navarch.Kubelet.Probes;
using Navarch.Kubelet.Runtime;
using Navarch.Kubelet.Server;
using Navarch.Kubelet.Status;
using Navarch.Kubelet.Volumes;

namespace Navarch.Kubelet;

/// <summary>
/// The node agent's kubelet. Start-up stages: the container runtime (a supervised containerd unless an endpoint is
/// given), the air-gap images, the Node and its pod network config, the Service cache and the per-object watches of
/// the ConfigMaps and Secrets pods refer to, then the
/// pod informer (this node's pods only) feeding one worker per pod, which works through the runtime service and the
/// image, status, probe and volume managers composed here. Stopping leaves pods running (they are adopted again at the
/// next start).
/// </summary>
public sealed partial class Kubelet : IAsyncDisposable
{
    private readonly Kubernetes _client;
    private readonly KubeletOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private ContainerdSupervisor? _containerd;
    private CriConnection? _cri;
    private RewritingImageService? _rewriting;
    private EventRecorder? _events;
    private PodWorkers? _workers;
    private PodObjectCache? _objects;
    private KubeletServer? _server;
    private Csi.CsiPlugins? _csi;

    /// <summary>Creates a kubelet talking to the API server through <paramref name="client"/>.</summary>
    public Kubelet(Kubernetes client, KubeletOptions options, ILoggerFactory loggers, TimeProvider? time = null)
    {
        _client = client;
        _options = options;
        _loggers = loggers;
        _logger = loggers.CreateLogger<Kubelet>();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The CRI endpoint in use (set once started).</summary>
    public string? RuntimeEndpoint { get; private set; }

    /// <summary>The supervised containerd, when the agent runs its own.</summary>
    public ContainerdSupervisor? Containerd => _containerd;

    /// <summary>
    /// Runs the built-in control-plane part of the CSI sidecars (external-attacher, -provisioner and -resizer) for the
    /// drivers registered on this node, and NodeExpandVolume for the CSI volumes in use here, as <paramref name="client"/>, until <paramref name="cancellationToken"/>. Call after <see cref="StartAsync"/>.
    /// </summary>
    public async Task RunCsiSidecarsAsync(Kubernetes client, CancellationToken cancellationToken)
    {
        Csi.CsiPlugins csi = _csi ?? throw new InvalidOperationException("the kubelet has not started");
        await using var sidecars = new Csi.CsiSidecars(client, csi.Drivers, csi.KubeletRoot, _options.NodeName, _loggers, _time);
        await sidecars.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs every start-up stage; returns once the node is registered and pods are being synced.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        // Before anything starts: a port held by another kubelet would otherwise send the API server's logs and exec
        // for this node to that one.
        KubeletServer.EnsurePortFree(_options);
        Directory.CreateDirectory(_options.AgentDir);
        Directory.CreateDirectory(_options.ImagesDir);
        Directory.CreateDirectory(_options.PodLogsDir);
        ContainerdConfig? containerdConfig = null;
        if (string.IsNullOrEmpty(_options.ContainerRuntimeEndpoint))
        {
            containerdConfig = new ContainerdConfig(_options.DataDir, registries: _options.Registries);
            _containerd = new ContainerdSupervisor(containerdConfig, _loggers.CreateLogger<ContainerdSupervisor>(), _time);
            await _containerd.StartAsync(cancellationToken).ConfigureAwait(false);
            RuntimeEndpoint = _containerd.Endpoint;
        }
        else
        {
            RuntimeEndpoint = _options.ContainerRuntimeEndpoint;
        }

        _cri = new CriConnection(RuntimeEndpoint, _time);

        // registries.yaml's rewrites, when the agent's own containerd has the rewriting registries' hosts.toml.
        IImageService images = _cri.Images;
        if (containerdConfig is not null && MirrorRewrite.Rewriting(_options.Registries).Any())
        {
            images = _rewriting = new RewritingImageService(_cri.Images, _cri.SocketPath, _options.Registries, _time, _loggers.CreateLogger<RewritingImageService>());
        }

        foreach (string image in await ImageImporter.ImportFolderAsync(_cri.SocketPath, _options.ImagesDir, cancellationToken).ConfigureAwait(false))
        {
            LogImported(_logger, image);
        }

        if (containerdConfig is not null)
        {
            await EnsurePauseImageAsync(containerdConfig.PauseImage, cancellationToken).ConfigureAwait(false);
        }

        var reporter = new NodeStatusReporter(_client, _cri.Runtime, _cri.Images, _options, _time, _loggers.CreateLogger<NodeStatusReporter>());
        await reporter.RegisterAsync(cancellationToken).ConfigureAwait(false);
        if (containerdConfig is not null)
        {
            // The pod network of an agent-run containerd; an external runtime brings its own.
            string podCidr = reporter.Node?.Spec?.PodCIDR is { Length: > 0 } cidr ? cidr : _options.DefaultPodCidr;
            var cni = new CniConfig { PodCidr = podCidr, BridgeName = _options.BridgeName, IpamDataDir = Path.Combine(_options.AgentDir, "cni", "networks") };
            await cni.WriteAsync(containerdConfig.CniConfDir, cancellationToken).ConfigureAwait(false);
            LogNetwork(_logger, podCidr, _options.BridgeName);
            if (await PodBridge.EnsureAsync(_options.BridgeName, podCidr, cancellationToken).ConfigureAwait(false) is { } bridgeError)
            {
                // The CNI plugin makes the bridge at the first pod; only what listens on the gateway waits until then.
                LogBridgeFailed(_logger, bridgeError);
            }
        }

        await reporter.RenewLeaseAsync(cancellationToken).ConfigureAwait(false);
        _loops.Add(Task.Run(() => reporter.RunAsync(_stop.Token), CancellationToken.None));

        _events = new EventRecorder(_client, "kubelet", _options.NodeName, _time, _loggers.CreateLogger<EventRecorder>());

        // Services are cached before the first pod is synced; the ConfigMaps and Secrets a pod names are watched one by
        // one once its worker registers it (all a node may read), so a container start reads them from memory.
        var informers = new SharedInformerFactory(_client, _loggers, _time);
        var objects = _objects = new PodObjectCache(_client, informers, _loggers, _time);
        informers.Start(_stop.Token);
        _loops.Add(informers.StoppedAsync());
        await informers.WaitForCacheSyncAsync(cancellationToken).ConfigureAwait(false);

        _csi = new Csi.CsiPlugins(_client, _options.NodeName, _options.AgentDir, _time, _loggers);
        _loops.Add(Task.Run(() => _csi.RunAsync(_stop.Token), CancellationToken.None));
        var volumes = new VolumeManager(_client, objects, _options, _events, _time, _loggers.CreateLogger<VolumeManager>())
        {
            Csi = new Csi.CsiVolumes(_client, _csi.Drivers, _options.AgentDir, _options.NodeName, _loggers.CreateLogger<Csi.CsiVolumes>()),
        };
        reporter.VolumesInUse = volumes.VolumesInUse;
        var prober = new Prober(_cri.Runtime, _time);
        var metrics = new KubeletMetrics(_cri.Runtime);
        var probeMetrics = new ProberMetrics();
        var dependencies = new PodWorkerDependencies(
            Runtime: _cri.Runtime,
            Images: new ImageManager(images, _client, _events, _time),
            Status: new StatusManager(_client, _loggers.CreateLogger<StatusManager>()),
            Probes: new ProbeManager(prober, _events, _time, probeMetrics),
            Hooks: prober,
            Volumes: volumes,
            Configs: new ContainerConfigBuilder(new ContainerEnvironment(objects, _events, _options.InternalIp), volumes, _options, _events, _time),
            Options: _options,
            Events: _events,
            Time: _time,
            Objects: objects,
            RuntimeClasses: new RuntimeClassManager(_client),
            Metrics: metrics);
        _workers = new PodWorkers(dependencies, _loggers, _stop.Token);
        var pods = new Informer<V1Pod>(_client, fieldSelector: $"spec.nodeName={_options.NodeName}", time: _time, logger: _loggers.CreateLogger<Informer<V1Pod>>());
        pods.AddHandler(_workers);
        _loops.Add(Task.Run(() => pods.RunAsync(_stop.Token), CancellationToken.None));
        await pods.WaitForSyncAsync(cancellationToken).ConfigureAwait(false);
        HashSet<string> known = pods.Store.List().Select(p => p.Metadata.Uid).ToHashSet(StringComparer.Ordinal);
        await _workers.RemoveOrphansAsync(known, cancellationToken).ConfigureAwait(false);
        await volumes.RemoveOrphansAsync(known, cancellationToken).ConfigureAwait(false);
        if (_options.ShipContainerLogs)
        {
            var api = new Navarch.Client.RawApi(_client);
            var shipper = new Logs.ContainerLogShipper(
                _options.PodLogsDir,
                _options.LogShipperStateDir,
                _options.NodeName,
                uid => pods.Store.List().FirstOrDefault(p => p.Metadata.Uid == uid)?.Metadata.Labels,
                (batch, ct) => Logs.ContainerLogBatchSender.SendAsync(api, batch, ct),
                _time,
                _loggers.CreateLogger<Logs.ContainerLogShipper>());
            _loops.Add(Task.Run(() => shipper.RunAsync(_stop.Token), CancellationToken.None));
        }

        _server = new KubeletServer(_options, _cri.Runtime, pods.Store, _loggers, _time, metrics, probeMetrics, _client);
        await _server.StartAsync(cancellationToken).ConfigureAwait(false);

        LogReady(_logger, _options.NodeName, RuntimeEndpoint);
    }

    /// <summary>
    /// Without a registry every sandbox needs the pause image at hand: when the images folder brought none, the agent
    /// builds the built-in one from the host's catatonit (as <c>navarch images build-builtin</c> does) and imports it.
    /// </summary>
    private async Task EnsurePauseImageAsync(string pauseImage, CancellationToken cancellationToken)
    {
        if (pauseImage != BuiltinImages.PauseName || await _cri!.Images.ImageStatusAsync(new ImageSpec { Image = pauseImage }, cancellationToken).ConfigureAwait(false) is not null)
        {
            return;
        }

        string tarball = Path.Combine(_options.ImagesDir, "pause.tar");
        try
        {
            await BuiltinImages.BuildPauseAsync(tarball, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException e)
        {
            // Pods then wait for a pull of the pause image, with FailedCreatePodSandBox Events saying why.
            LogNoPauseImage(_logger, pauseImage, e.Message);
            return;
        }

        await ImageImporter.ImportAsync(_cri.SocketPath, tarball, cancellationToken).ConfigureAwait(false);
        LogBuiltPauseImage(_logger, pauseImage, BuiltinImages.Catatonit);
    }

    /// <summary>Stops the loops and the supervised containerd; pods keep running.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_loops).ConfigureAwait(false);
        if (_workers is not null)
        {
            await _workers.WaitAsync().ConfigureAwait(false);
        }

        if (_objects is not null)
        {
            await _objects.DisposeAsync().ConfigureAwait(false);
        }

        if (_events is not null)
        {
            await _events.DisposeAsync().ConfigureAwait(false);
        }

        _csi?.Dispose();
        _rewriting?.Dispose();
        _cri?.Dispose();
        if (_containerd is not null)
        {
            await _containerd.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Imported images from {File}")]
    private static partial void LogImported(ILogger logger, string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pod network {Cidr} on bridge {Bridge}")]
    private static partial void LogNetwork(ILogger logger, string cidr, string bridge);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not set up the pod bridge before the first pod: {Error}")]
    private static partial void LogBridgeFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Built the pause image {Image} from {Binary} (no image tarball brought one)")]
    private static partial void LogBuiltPauseImage(ILogger logger, string image, string binary);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No pause image {Image} here and none can be built: {Reason}")]
    private static partial void LogNoPauseImage(ILogger logger, string image, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Kubelet of node {Node} running on {Endpoint}")]
    private static partial void LogReady(ILogger logger, string node, string endpoint);
}
