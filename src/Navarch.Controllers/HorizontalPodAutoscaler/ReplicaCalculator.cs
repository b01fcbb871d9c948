using k8s.Models;

namespace Navarch.Controllers.HorizontalPodAutoscaler;

/// <summary>
/// kube-controller-manager's ReplicaCalculator for resource metrics: the desired replica count is
/// ceil(usage ratio × ready pods), unless the ratio is within the tolerance of 1. Pods being deleted or failed are
/// ignored; pending and not-yet-ready pods (for CPU: not Ready, or Ready so recently that the sample predates it)
/// count as using nothing when that would damp a scale-up; pods without a metric count as using the target (scale-down)
/// or nothing (scale-up); a recalculation that flips the direction keeps the current count.
/// </summary>
public sealed class ReplicaCalculator(TimeProvider time, double tolerance = 0.1, TimeSpan? cpuInitializationPeriod = null, TimeSpan? initialReadinessDelay = null)
{
    private readonly TimeSpan _cpuInitializationPeriod = cpuInitializationPeriod ?? TimeSpan.FromMinutes(5);
    private readonly TimeSpan _initialReadinessDelay = initialReadinessDelay ?? TimeSpan.FromSeconds(30);

    /// <summary>The tolerance: a usage ratio within it of 1.0 changes nothing.</summary>
    public double Tolerance => tolerance;

    /// <summary>GetResourceReplicas: the replicas that bring the pods' usage to <paramref name="targetUtilization"/> percent of their requests.</summary>
    public ReplicaCalculation ForUtilization(int currentReplicas, int targetUtilization, string resource, string? container, IReadOnlyList<V1Pod> pods, IReadOnlyDictionary<string, PodMetric> metrics)
    {
        ArgumentNullException.ThrowIfNull(pods);
        ArgumentNullException.ThrowIfNull(metrics);
        if (pods.Count == 0)
        {
            throw new MetricsException("no pods returned by selector while calculating replica count");
        }

        Groups groups = Group(pods, metrics, resource);
        var usable = metrics.Where(m => !groups.Ignored.Contains(m.Key) && !groups.Unready.Contains(m.Key)).ToDictionary(m => m.Key, m => m.Value);
        Dictionary<string, long> requests = Requests(pods, container, resource);
        if (usable.Count == 0)
        {
            throw new MetricsException("did not receive metrics for targeted pods (pods might be unready)");
        }

        DateTimeOffset timestamp = usable.Values.Min(m => m.Timestamp);
        (double ratio, int utilization, long average) = UtilizationRatio(usable, requests, targetUtilization);
        bool scaleUpWithUnready = groups.Unready.Count > 0 && ratio > 1.0;
        if (!scaleUpWithUnready && groups.Missing.Count == 0)
        {
            return WithinTolerance(ratio)
                ? new(currentReplicas, utilization, average, timestamp)
                : new((int)Math.Ceiling(ratio * groups.ReadyCount), utilization, average, timestamp);
        }

        var adjusted = usable.ToDictionary(m => m.Key, m => m.Value.MilliValue);
        if (groups.Missing.Count > 0)
        {
            // Missing pods are assumed at the request (or the target, if higher) when scaling down, and idle when scaling up.
            long fallback = Math.Max(100, targetUtilization);
            foreach (string pod in groups.Missing)
            {
                adjusted[pod] = ratio < 1.0 ? requests.GetValueOrDefault(pod) * fallback / 100 : 0;
            }
        }

        if (scaleUpWithUnready)
        {
            foreach (string pod in groups.Unready)
            {
                adjusted[pod] = 0;
            }
        }

        (double newRatio, _, _) = UtilizationRatio(adjusted.ToDictionary(m => m.Key, m => new PodMetric(m.Value, timestamp, TimeSpan.Zero)), requests, targetUtilization);
        return Settle(currentReplicas, ratio, newRatio, adjusted.Count, new(currentReplicas, utilization, average, timestamp));
    }

    /// <summary>GetRawResourceReplicas: the replicas that bring the pods' average usage to <paramref name="targetMilliValue"/>.</summary>
    public ReplicaCalculation ForAverageValue(int currentReplicas, long targetMilliValue, string resource, IReadOnlyList<V1Pod> pods, IReadOnlyDictionary<string, PodMetric> metrics)
    {
        ArgumentNullException.ThrowIfNull(pods);
        ArgumentNullException.ThrowIfNull(metrics);
        if (pods.Count == 0)
        {
            throw new MetricsException("no pods returned by selector while calculating replica count");
        }

        Groups groups = Group(pods, metrics, resource);
        var usable = metrics.Where(m => !groups.Ignored.Contains(m.Key) && !groups.Unready.Contains(m.Key)).ToDictionary(m => m.Key, m => m.Value.MilliValue);
        if (usable.Count == 0)
        {
            throw new MetricsException("did not receive metrics for targeted pods (pods might be unready)");
        }

        DateTimeOffset timestamp = metrics.Where(m => usable.ContainsKey(m.Key)).Min(m => m.Value.Timestamp);
        long average = usable.Values.Sum() / usable.Count;
        double ratio = (double)usable.Values.Sum() / usable.Count / targetMilliValue;
        bool scaleUpWithUnready = groups.Unready.Count > 0 && ratio > 1.0;
        if (!scaleUpWithUnready && groups.Missing.Count == 0)
        {
            return WithinTolerance(ratio)
                ? new(currentReplicas, null, average, timestamp)
                : new((int)Math.Ceiling(ratio * groups.ReadyCount), null, average, timestamp);
        }

        foreach (string pod in groups.Missing)
        {
            usable[pod] = ratio < 1.0 ? targetMilliValue : 0;
        }

        if (scaleUpWithUnready)
        {
            foreach (string pod in groups.Unready)
            {
                usable[pod] = 0;
            }
        }

        double newRatio = (double)usable.Values.Sum() / usable.Count / targetMilliValue;
        return Settle(currentReplicas, ratio, newRatio, usable.Count, new(currentReplicas, null, average, timestamp));
    }

    /// <summary>
    /// getUsageRatioReplicaCount (Object and External metrics with a <c>Value</c> target): the ready pods scaled by
    /// the ratio of the value to its target, unless within the tolerance; from zero replicas, the ratio itself (so a
    /// target scaled to zero comes back when the metric does).
    /// </summary>
    public int ForUsageRatio(int currentReplicas, double usageRatio, IReadOnlyList<V1Pod> pods)
    {
        ArgumentNullException.ThrowIfNull(pods);
        if (currentReplicas == 0)
        {
            return (int)Math.Ceiling(usageRatio);
        }

        if (WithinTolerance(usageRatio))
        {
            return currentReplicas;
        }

        if (pods.Count == 0)
        {
            throw new MetricsException("unable to calculate ready pods: no pods returned by selector while calculating replica count");
        }

        int ready = pods.Count(p => p.Status?.Phase == "Running" && p.Status.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status == "True");
        return (int)Math.Ceiling(usageRatio * ready);
    }

    /// <summary>
    /// GetObjectPerPodMetricReplicas / GetExternalPerPodMetricReplicas (an <c>AverageValue</c> target on a single
    /// total): as many replicas as bring the total per replica to the target, unless within the tolerance of the current
    /// <paramref name="statusReplicas"/>; also the total per current replica, rounded up.
    /// </summary>
    public (int Replicas, long AverageMilliValue) ForTotalPerPod(int statusReplicas, long totalMilliValue, long targetAverageMilliValue)
    {
        if (statusReplicas == 0)
        {
            // No replicas to share the total: it is all one replica's (Go's division by zero would print nonsense).
            return ((int)Math.Ceiling((double)totalMilliValue / targetAverageMilliValue), totalMilliValue);
        }

        double ratio = totalMilliValue / ((double)targetAverageMilliValue * statusReplicas);
        int replicas = WithinTolerance(ratio) ? statusReplicas : (int)Math.Ceiling((double)totalMilliValue / targetAverageMilliValue);
        return (replicas, (long)Math.Ceiling((double)totalMilliValue / statusReplicas));
    }

    private bool WithinTolerance(double ratio) => Math.Abs(1.0 - ratio) <= tolerance;

    // After assuming values for missing and unready pods: no change if that lands within tolerance or reverses the
    // direction of the scale, or if the count would move against the ratio.
    private ReplicaCalculation Settle(int currentReplicas, double ratio, double newRatio, int podCount, ReplicaCalculation unchanged)
    {
        if (WithinTolerance(newRatio) || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0))
        {
            return unchanged;
        }

        int replicas = (int)Math.Ceiling(newRatio * podCount);
        return (newRatio < 1.0 && replicas > currentReplicas) || (newRatio > 1.0 && replicas < currentReplicas)
            ? unchanged
            : unchanged with { Replicas = replicas };
    }

    private static (double Ratio, int Utilization, long Average) UtilizationRatio(IReadOnlyDictionary<string, PodMetric> metrics, Dictionary<string, long> requests, int targetUtilization)
    {
        long usageTotal = 0;
        long requestsTotal = 0;
        int counted = 0;
        foreach ((string pod, PodMetric metric) in metrics)
        {
            if (requests.TryGetValue(pod, out long request))
            {
                usageTotal += metric.MilliValue;
                requestsTotal += request;
                counted++;
            }
        }

        if (requestsTotal == 0)
        {
            throw new MetricsException("no metrics returned matched known pods");
        }

        int utilization = (int)(usageTotal * 100 / requestsTotal);
        return ((double)utilization / targetUtilization, utilization, usageTotal / counted);
    }

    private static Dictionary<string, long> Requests(IReadOnlyList<V1Pod> pods, string? container, string resource)
    {
        var requests = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (V1Pod pod in pods)
        {
            long total = 0;
            foreach (V1Container c in pod.Spec?.Containers ?? [])
            {
                if (container is not null && c.Name != container)
                {
                    continue;
                }

                if (c.Resources?.Requests?.TryGetValue(resource, out ResourceQuantity? request) != true || request is null)
                {
                    throw new MetricsException($"missing request for {resource} in container {c.Name} of Pod {pod.Metadata.Name}");
                }

                total += MilliValue(request);
            }

            requests[pod.Metadata.Name] = total;
        }

        return requests;
    }

    /// <summary>A quantity in milli-units, rounded up as Kubernetes' MilliValue.</summary>
    public static long MilliValue(ResourceQuantity quantity)
    {
        ArgumentNullException.ThrowIfNull(quantity);
        return (long)Math.Ceiling(quantity.ToDecimal() * 1000m);
    }

    private Groups Group(IReadOnlyList<V1Pod> pods, IReadOnlyDictionary<string, PodMetric> metrics, string resource)
    {
        DateTimeOffset now = time.GetUtcNow();
        var groups = new Groups();
        foreach (V1Pod pod in pods)
        {
            string name = pod.Metadata.Name;
            if (pod.Metadata.DeletionTimestamp is not null || pod.Status?.Phase == "Failed")
            {
                groups.Ignored.Add(name);
                continue;
            }

            if (pod.Status?.Phase == "Pending")
            {
                groups.Unready.Add(name);
                continue;
            }

            if (!metrics.TryGetValue(name, out PodMetric metric))
            {
                groups.Missing.Add(name);
                continue;
            }

            if (resource == "cpu" && IsUnready(pod, metric, now))
            {
                groups.Unready.Add(name);
                continue;
            }

            groups.ReadyCount++;
        }

        return groups;
    }

    // CPU of a starting pod is misleading: within the initialization period a pod counts only once Ready and sampled a
    // whole window after it became Ready; after it, only a pod that never became Ready since its start counts as unready.
    private bool IsUnready(V1Pod pod, PodMetric metric, DateTimeOffset now)
    {
        V1PodCondition? ready = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
        if (ready is null || pod.Status?.StartTime is not { } started)
        {
            return true;
        }

        DateTimeOffset start = new(DateTime.SpecifyKind(started, DateTimeKind.Utc));
        DateTimeOffset transition = ready.LastTransitionTime is { } t ? new(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : start;
        return start + _cpuInitializationPeriod > now
            ? ready.Status == "False" || metric.Timestamp < transition + metric.Window
            : ready.Status == "False" && start + _initialReadinessDelay > transition;
    }

    private sealed class Groups
    {
        public int ReadyCount { get; set; }

        public HashSet<string> Unready { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Missing { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Ignored { get; } = new(StringComparer.Ordinal);
    }
}
