using k8s;
using Microsoft.Extensions.Logging;
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

    /// <summary>The Lease the controller manager holds in kube-system under leader election.</summary>
    public const string LeaseName = "kube-controller-manager";

    /// <summary>The controller manager's metrics (its work queues'), served on its secure port by whoever runs it.</summary>
    public Prometheus.CollectorRegistry Metrics { get; } = Prometheus.Metrics.NewCustomRegistry();

    /// <summary>Runs until cancelled (or, with leader election, until leadership is lost).</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        LeaderElection.RunAsync(client, _options.LeaderElection, RunControllersAsync, cancellationToken);

    private async Task RunControllersAsync(CancellationToken cancellationToken)
    {
        var informers = new SharedInformerFactory(client, loggerFactory, _time);
        await using var context = new ControllerContext(client, informers, _time, loggerFactory, _options) { Metrics = Prometheus.Metrics.WithCustomRegistry(Metrics) };
        IController[] controllers =
        [
            new NamespaceController(context),
            new ServiceAccountController(context),
            new ReplicaSet.ReplicaSetController(context),
            new Replication.ReplicationManager(context),
            new Deployment.DeploymentController(context),
            new Job.JobController(context),
            new CronJob.CronJobController(context),
            new TtlAfterFinished.TtlAfterFinishedController(context),
            new Endpoints.EndpointsController(context),
            new EndpointSlice.EndpointSliceController(context),
            new GarbageCollectorController(context),
            new PodGCController(context),
            new ResourceQuota.ResourceQuotaController(context),
            new NodeIpamController(context),
            new DaemonSet.DaemonSetController(context),
            new StatefulSet.StatefulSetController(context),
            new PersistentVolume.PersistentVolumeController(context),
            new VolumeProtection.PvcProtectionController(context),
            new VolumeProtection.PvProtectionController(context),
            new VolumeExpand.ExpandController(context),
            new AttachDetach.AttachDetachController(context),
            new Ephemeral.EphemeralVolumeController(context),
            new Disruption.DisruptionController(context),
            new NodeLifecycleController(context),
            new TaintEvictionController(context),
            new ServiceLb.ServiceLbController(context),
            new ClusterRoleAggregation.ClusterRoleAggregationController(context),
            new HorizontalPodAutoscaler.HorizontalPodAutoscalerController(context),
            new Certificates.CsrApprovingController(context),
            new Certificates.CsrCleanerController(context),
            new ValidatingAdmissionPolicyStatus.ValidatingAdmissionPolicyStatusController(context),
            .. _options.ClusterSigningCertificate is { } ca ? new IController[] { new Certificates.CsrSigningController(context, ca, _options.ClusterSigningDuration) } : [],
            .. _options.RootCaBundle is { } bundle ? new IController[] { new RootCaPublisher.RootCaPublisherController(context, bundle) } : [],
        ];
        informers.Start(cancellationToken);
        try
        {
            await informers.WaitForCacheSyncAsync(cancellationToken).ConfigureAwait(false);
            ILogger logger = loggerFactory.CreateLogger<ControllerManager>();
            string names = string.Join(", ", controllers.Select(c => c.Name));
            LogStarted(logger, names);
            await Task.WhenAll(controllers.Select(c => c.RunAsync(2, cancellationToken))).ConfigureAwait(false);
            await informers.StoppedAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped before the caches synced: nothing ran, nothing to report.
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
