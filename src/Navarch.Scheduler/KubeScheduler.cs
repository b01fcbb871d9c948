using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client.Events;
using Navarch.Client.Informers;
using Navarch.Client.Leadership;
using Navarch.Scheduler.Cache;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.PodTopologySpread;
using Navarch.Scheduler.Queue;

namespace Navarch.Scheduler;

/// <summary>
/// kube-scheduler: watches pods without a node whose schedulerName is one of its profiles, picks a node for each
/// through the profile's plugins, and binds it through the pods/binding subresource — reaching the cluster only
/// through the API. With leader election only the holder of the <c>kube-scheduler</c> Lease schedules.
/// </summary>
public sealed partial class KubeScheduler(Kubernetes client, ILoggerFactory loggerFactory, TimeProvider? time = null, SchedulerOptions? options = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly SchedulerOptions _options = options ?? new SchedulerOptions();
    private readonly ILogger _logger = loggerFactory.CreateLogger<KubeScheduler>();

    /// <summary>The Lease the scheduler holds in kube-system under leader election.</summary>
    public const string LeaseName = "kube-scheduler";

    private Navarch.Scheduler.Metrics.SchedulerMetrics? _metrics;

    /// <summary>The scheduler's metrics, served on its secure port by whoever runs it.</summary>
    public Prometheus.CollectorRegistry Metrics { get; } = Prometheus.Metrics.NewCustomRegistry();

    /// <summary>Runs until cancelled (or, with leader election, until leadership is lost).</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        LeaderElection.RunAsync(client, _options.LeaderElection, RunSchedulerAsync, cancellationToken);

    private async Task RunSchedulerAsync(CancellationToken cancellationToken)
    {
        var informers = new SharedInformerFactory(client, loggerFactory, _time);
        Informer<V1Pod> pods = informers.Get<V1Pod>();
        Informer<V1Node> nodes = informers.Get<V1Node>();
        Informer<V1PriorityClass> priorityClasses = informers.Get<V1PriorityClass>();
        Informer<V1PodDisruptionBudget> budgets = informers.Get<V1PodDisruptionBudget>();
        Indexer<V1Namespace> namespaces = informers.Get<V1Namespace>().Store;
        Informer<V1PersistentVolumeClaim> claims = informers.Get<V1PersistentVolumeClaim>();
        Informer<V1PersistentVolume> volumes = informers.Get<V1PersistentVolume>();
        Informer<V1StorageClass> storageClasses = informers.Get<V1StorageClass>();
        Informer<V1CSINode> csiNodes = informers.Get<V1CSINode>();
        Informer<V1CSIDriver> csiDrivers = informers.Get<V1CSIDriver>();
        Informer<V1CSIStorageCapacity> capacities = informers.Get<V1CSIStorageCapacity>();
        var volumeObjects = new Plugins.VolumeBinding.VolumeObjects(claims.Store, volumes.Store, storageClasses.Store, csiNodes.Store, csiDrivers.Store, capacities.Store);
        var spreadSelector = new DefaultSpreadSelector(informers.Get<V1Service>().Store, informers.Get<V1ReplicaSet>().Store, informers.Get<V1StatefulSet>().Store);
        await using var events = new EventRecorder(client, "default-scheduler", time: _time, logger: loggerFactory.CreateLogger<EventRecorder>());
        using var queue = new SchedulingQueue(_time);
        Navarch.Scheduler.Metrics.SchedulerMetrics metrics = _metrics ??= new Navarch.Scheduler.Metrics.SchedulerMetrics(Metrics);
        metrics.Watch(queue);
        var cache = new SchedulerCache(_time, _options.AssumedPodTtl);
        var priorities = new PodPriorities(priorityClasses.Store);
        var snapshot = new Snapshot();
        var nominator = new Nominator();
        var registry = new PluginRegistry();
        var profiles = new Dictionary<string, Profile>(StringComparer.Ordinal);
        foreach (Config.ProfileConfiguration p in _options.Configuration.Profiles)
        {
            var handle = new FrameworkHandle
            {
                Client = client,
                Snapshot = snapshot,
                PriorityOf = priorities.Of,
                DisruptionBudgets = budgets.Store.List,
                Time = _time,
                Nominator = nominator,
                DefaultSpreadSelector = spreadSelector.For,
                NamespaceLabels = name => namespaces.Get(name)?.Metadata.Labels,
                Volumes = volumeObjects,
            };
            profiles[p.SchedulerName] = ProfileBuilder.Build(p, _options.Configuration.PercentageOfNodesToScore, registry, handle);
        }

        var handlers = new ClusterEventHandlers(queue, cache, nominator, priorities, profiles.Keys.ToHashSet(StringComparer.Ordinal));
        pods.AddHandler(handlers.Pods);
        nodes.AddHandler(handlers.Nodes);
        claims.AddHandler(handlers.StorageChanged<V1PersistentVolumeClaim>());
        volumes.AddHandler(handlers.StorageChanged<V1PersistentVolume>());
        storageClasses.AddHandler(handlers.StorageChanged<V1StorageClass>());
        csiNodes.AddHandler(handlers.StorageChanged<V1CSINode>());
        csiDrivers.AddHandler(handlers.StorageChanged<V1CSIDriver>());
        capacities.AddHandler(handlers.StorageChanged<V1CSIStorageCapacity>());
        informers.Start(cancellationToken);
        await informers.WaitForCacheSyncAsync(cancellationToken).ConfigureAwait(false);
        string names = string.Join(", ", profiles.Keys);
        LogStarted(_logger, names);
        var cycle = new SchedulingCycle(client, queue, cache, snapshot, profiles, pods.Store, events, _logger, metrics);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                QueuedPod? next = await queue.PopAsync(cancellationToken).ConfigureAwait(false);
                if (next is null)
                {
                    break;
                }

                await cycle.ScheduleOneAsync(next, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            queue.Close();
            metrics.Watch(null);
            await cycle.WaitForBindingsAsync().ConfigureAwait(false);
            await informers.StoppedAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduler running with profiles: {Profiles}")]
    private static partial void LogStarted(ILogger logger, string profiles);
}
