using k8s;
using Microsoft.Extensions.Logging;
using Navarch.Client.Informers;
using Navarch.Proxy.Host;
using Navarch.Proxy.Iptables;
using Navarch.Proxy.Routes;

namespace Navarch.Proxy;

/// <summary>
/// The node's proxy as <c>navarch proxy</c>, <c>navarch agent</c> and <c>navarch server</c> run it: kernel settings,
/// then informers on Services, EndpointSlices and Nodes feeding the iptables proxier and the host-gw route
/// controller. It reaches the cluster only through the API: its watches through <paramref name="client"/> (an agent's
/// is <c>system:kube-proxy</c>, bound to <c>system:node-proxier</c>), the node's NetworkUnavailable condition through
/// <paramref name="nodeClient"/> (the kubelet's credentials, which may write their own Node's status), or
/// <paramref name="client"/> when none is given.
/// </summary>
public sealed partial class ProxyServer(Kubernetes client, ProxyOptions options, ILoggerFactory loggers, TimeProvider? time = null, IKubernetes? nodeClient = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly CommandRunner _runner = new(options.NetworkNamespace);
    private Func<long> _appliedSyncs = () => 0;

    /// <summary>kube-proxy's sync metrics, served on <see cref="ProxyOptions.MetricsBindAddress"/> when set.</summary>
    public Prometheus.CollectorRegistry Metrics { get; } = Prometheus.Metrics.NewCustomRegistry();

    /// <summary>How many syncs wrote rules so far.</summary>
    public long AppliedSyncs => _appliedSyncs();

    /// <summary>Runs until cancelled. The rules stay in place after it stops (as kube-proxy's), until <see cref="CleanupAsync"/>.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        ILogger logger = loggers.CreateLogger<ProxyServer>();
        Task reported = Task.CompletedTask;
        if (options.ConfigureKernel)
        {
            List<string> failed = await KernelSettings.ApplyAsync(_runner, logger, cancellationToken).ConfigureAwait(false);
            reported = NetworkCondition.ReportAsync(nodeClient ?? client, options.NodeName, failed, _time, logger, cancellationToken);
        }

        var informers = new SharedInformerFactory(client, loggers, _time);
        using var proxier = new Proxier(informers, _runner, options, _time, loggers.CreateLogger<Proxier>(), new ProxyMetrics(Metrics));
        await using MetricsEndpoint? metrics = MetricsEndpoint.Start(options.MetricsBindAddress, Metrics, logger);
        _appliedSyncs = () => proxier.AppliedSyncs;
        using RouteController? routes = options.ManageRoutes
            ? new RouteController(informers, _runner, options.NodeName, _time, loggers.CreateLogger<RouteController>())
            : null;
        informers.Start(cancellationToken);
        LogStarted(logger, options.NodeName, options.ChainPrefix);
        try
        {
            await Task.WhenAll(proxier.RunAsync(cancellationToken), routes?.RunAsync(cancellationToken) ?? Task.CompletedTask, reported).ConfigureAwait(false);
            await informers.StoppedAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Removes every jump and chain of <see cref="ProxyOptions.ChainPrefix"/>; returns how many chains were removed.</summary>
    public static Task<int> CleanupAsync(ProxyOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new IptablesClient(new CommandRunner(options.NetworkNamespace), new Rules.ChainNames(options.ChainPrefix)).CleanupAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Proxy of node {Node} running (iptables chains {Prefix}*)")]
    private static partial void LogStarted(ILogger logger, string node, string prefix);
}
