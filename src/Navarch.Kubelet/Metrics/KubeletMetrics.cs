using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Runtime;
using Prometheus;

namespace Navarch.Kubelet.Metrics;

/// <summary>
/// The kubelet's own metrics (pkg/kubelet/metrics) with their names, labels and buckets, in a registry of this kubelet's
/// own (tests run several kubelets in one process), served at <c>/metrics</c> on its port:
/// <c>kubelet_running_pods</c> and <c>kubelet_running_containers{container_state}</c> read from the runtime at each
/// scrape (as the PLEG's relist sets them), <c>kubelet_pod_start_sli_duration_seconds{first_with_network}</c> and
/// <c>kubelet_pod_worker_duration_seconds{operation_type}</c>.
/// </summary>
internal sealed class KubeletMetrics
{
    /// <summary>Kubernetes' pod startup buckets (podStartupDurationBuckets), 0.5 s to an hour.</summary>
    private static readonly double[] PodStartupBuckets = [0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600];

    /// <summary>Prometheus' DefBuckets (component-base's default), not prometheus-net's.</summary>
    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>The kubelet's container states, lower-cased as its metrics label them.</summary>
    private static readonly (ContainerState State, string Label)[] States =
        [(ContainerState.ContainerCreated, "created"), (ContainerState.ContainerRunning, "running"), (ContainerState.ContainerExited, "exited"), (ContainerState.ContainerUnknown, "unknown")];

    private readonly Histogram _podStart;

    private readonly Histogram _podWorker;

    private int _networkPodStarted;

    public KubeletMetrics(IRuntimeService runtime)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        MetricFactory factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        Gauge runningPods = factory.CreateGauge("kubelet_running_pods", "Number of pods that have a running pod sandbox");
        Gauge runningContainers = factory.CreateGauge("kubelet_running_containers", "Number of containers currently running", ["container_state"]);
        _podStart = factory.CreateHistogram("kubelet_pod_start_sli_duration_seconds", "Duration in seconds to start a pod, excluding time to pull images and run init containers, measured from pod creation timestamp to when all its containers are reported as started and observed via watch", ["first_with_network"], new HistogramConfiguration { Buckets = PodStartupBuckets });
        _podWorker = factory.CreateHistogram("kubelet_pod_worker_duration_seconds", "Duration in seconds to sync a single pod. Broken down by operation type: create, update, or sync", ["operation_type"], new HistogramConfiguration { Buckets = DefaultBuckets });
        Registry.AddBeforeCollectCallback(async cancellationToken =>
        {
            IReadOnlyList<PodSandbox> sandboxes = await runtime.ListPodSandboxAsync(null, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<Container> containers = await runtime.ListContainersAsync(null, cancellationToken).ConfigureAwait(false);
            runningPods.Set(sandboxes.Count(s => s.State == PodSandboxState.SandboxReady));
            foreach ((ContainerState state, string label) in States)
            {
                runningContainers.WithLabels(label).Set(containers.Count(c => c.State == state));
            }
        });
    }

    /// <summary>This kubelet's <c>/metrics</c> registry.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>One pod worker sync (<c>create</c>, <c>update</c>, <c>sync</c> or <c>kill</c>) took <paramref name="elapsed"/>.</summary>
    public void PodWorkerSynced(string operationType, TimeSpan elapsed) => _podWorker.WithLabels(operationType).Observe(elapsed.TotalSeconds);

    /// <summary>
    /// A pod's containers all started <paramref name="sli"/> after its creation, image pulls left out;
    /// <c>first_with_network</c> marks the first pod on the pod network this kubelet started (it waited for the CNI).
    /// </summary>
    public void PodStarted(TimeSpan sli, bool hostNetwork)
    {
        bool first = !hostNetwork && Interlocked.Exchange(ref _networkPodStarted, 1) == 0;
        _podStart.WithLabels(first ? "true" : "false").Observe(Math.Max(0, sli.TotalSeconds));
    }
}
