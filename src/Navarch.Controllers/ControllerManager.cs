using k8s;
using Microsoft.Extensions.Logging;
using Navarch.Client;
using Navarch.Client.Events;
using Navarch.Client.Informers;
using Navarch.Client.Leadership;
using Navarch.Controllers.GarbageCollector;
using Navarch.Controllers.Namespace;
using Navarch.Controllers.NodeIpam;
using Navarch.Controllers.NodeLifecycle;
using Navarch.Controllers.PodGC;
using Navarch.Controllers.ServiceAccount;

namespace Navarch.Controllers;

/// <summary>
/// kube-controller-manager: builds the controllers over one shared informer factory and runs them — under leader
/// election on the <c>kube-controller-manager</c> Lease when asked — talking to the cluster only through the API.
/// </summary>
public sealed partial class ControllerManager(Kubernetes client, ILoggerFactory loggerFactory, TimeProvider? time = null, ControllerManagerOptions? options = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ControllerManagerOptions _options = options ?? new ControllerManagerOptions();

    /// <summary>Runs until cancelled (or, with leader election, until leadership is lost).</summary>
    public Task RunAsync(bool leaderElect, string identity, CancellationToken cancellationToken) =>
        leaderElect
            ? LeaderElection.RunAsync(
                client,
                new LeaderElectionOptions
                {
                    LeaseName = "kube-controller-manager",
                    Identity = identity,
                    LeaseDuration = _options.LeaderElectLeaseDuration,
                    RenewDeadline = _options.LeaderElectRenewDeadline,
                    RetryPeriod = _options.LeaderElectRetryPeriod,
                },
                RunControllersAsync,
                cancellationToken)
            : RunControllersAsync(cancellationToken);

    private async Task RunControllersAsync(CancellationToken cancellationToken)
    {
        var informers = new SharedInformerFactory(client, loggerFactory, _time);
        var api = new RawApi(client);
        EventRecorder Recorder(string component) => new(client, component, time: _time, logger: loggerFactory.CreateLogger<EventRecorder>());
        await using var deploymentEvents = Recorder("deployment-controller");
        await using var nodeEvents = Recorder("node-controller");
        await using var taintEvictionEvents = Recorder("taint-eviction-controller");
        await using var replicaSetEvents = Recorder("replicaset-controller");
        await using var jobEvents = Recorder("job-controller");
        await using var cronJobEvents = Recorder("cronjob-controller");
        await using var daemonSetEvents = Recorder("daemonset-controller");
        await using var statefulSetEvents = Recorder("statefulset-controller");
        IController[] controllers =
        [
            new NamespaceController(informers, api, _time, loggerFactory.CreateLogger<NamespaceController>()),
            new ServiceAccountController(informers, client, _time, loggerFactory.CreateLogger<ServiceAccountController>()),
            new ReplicaSet.ReplicaSetController(informers, client, _time, loggerFactory.CreateLogger<ReplicaSet.ReplicaSetController>(), replicaSetEvents),
            new Deployment.DeploymentController(informers, client, deploymentEvents, _time, loggerFactory.CreateLogger<Deployment.DeploymentController>()),
            new Job.JobController(informers, client, _time, loggerFactory.CreateLogger<Job.JobController>(), jobEvents),
            new CronJob.CronJobController(informers, client, _time, loggerFactory.CreateLogger<CronJob.CronJobController>(), cronJobEvents),
            new TtlAfterFinished.TtlAfterFinishedController(informers, client, _time, loggerFactory.CreateLogger<TtlAfterFinished.TtlAfterFinishedController>()),
            new Endpoints.EndpointsController(informers, client, _time, loggerFactory.CreateLogger<Endpoints.EndpointsController>()),
            new EndpointSlice.EndpointSliceController(informers, client, _time, loggerFactory.CreateLogger<EndpointSlice.EndpointSliceController>()),
            new GarbageCollectorController(informers, api, _time, loggerFactory.CreateLogger<GarbageCollectorController>()),
            new PodGCController(informers, client, _time, loggerFactory.CreateLogger<PodGCController>(), _options.TerminatedPodGCThreshold, _options.PodGCQuarantine, _options.PodGCPeriod),
            new NodeIpamController(informers, client, _time, loggerFactory.CreateLogger<NodeIpamController>(), _options.ClusterCidr, _options.NodeCidrMaskSize),
            new DaemonSet.DaemonSetController(informers, client, _time, loggerFactory.CreateLogger<DaemonSet.DaemonSetController>(), daemonSetEvents),
            new StatefulSet.StatefulSetController(informers, client, _time, loggerFactory.CreateLogger<StatefulSet.StatefulSetController>(), statefulSetEvents),
            new NodeLifecycleController(informers, client, nodeEvents, _time, loggerFactory.CreateLogger<NodeLifecycleController>(), _options.NodeMonitorGracePeriod, _options.NodeMonitorPeriod),
            new TaintEvictionController(informers, client, taintEvictionEvents, _time, loggerFactory.CreateLogger<TaintEvictionController>()),
            new ServiceLb.ServiceLbController(informers, client, _time, loggerFactory.CreateLogger<ServiceLb.ServiceLbController>()),
            new ClusterRoleAggregation.ClusterRoleAggregationController(informers, client, _time, loggerFactory.CreateLogger<ClusterRoleAggregation.ClusterRoleAggregationController>()),
            .. _options.RootCaBundle is { } bundle
                ? new IController[] { new RootCaPublisher.RootCaPublisherController(informers, client, bundle, _time, loggerFactory.CreateLogger<RootCaPublisher.RootCaPublisherController>()) }
                : [],
        ];
        informers.Start(cancellationToken);
        await informers.WaitForCacheSyncAsync(cancellationToken).ConfigureAwait(false);
        ILogger logger = loggerFactory.CreateLogger<ControllerManager>();
        string names = string.Join(", ", controllers.Select(c => c.Name));
        LogStarted(logger, names);
        try
        {
            await Task.WhenAll(controllers.Select(c => c.RunAsync(2, cancellationToken))).ConfigureAwait(false);
            await informers.StoppedAsync().ConfigureAwait(false);
        }
        finally
        {
            foreach (IController controller in controllers)
            {
                controller.Dispose();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Controllers running: {Controllers}")]
    private static partial void LogStarted(ILogger logger, string controllers);
}
