using k8s.Models;

namespace Navarch.Controllers.HorizontalPodAutoscaler;

/// <summary>
/// The HPA controller's normalizeDesiredReplicas and normalizeDesiredReplicasWithBehaviors: stabilization over the
/// recent recommendations of each autoscaler, then the scale limits — without <c>behavior</c> the legacy rule
/// (at most max(2 × current, 4) up), with it the scale-up/scale-down policies over the scale events of their periods
/// and <c>selectPolicy</c> — then min/max replicas. Keeps the recommendations and scale events in memory, per HPA
/// key, as kube-controller-manager does (a restart forgets them).
/// </summary>
public sealed class ReplicaNormalizer(TimeProvider time, TimeSpan downscaleStabilizationWindow)
{
    private const string ScaleDownStabilized = "ScaleDownStabilized";
    private const string StabilizedMessage = "recent recommendations were higher than current one, applying the highest recent recommendation";
    private readonly Dictionary<string, List<Recommendation>> _recommendations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ScaleEvent>> _scaleUpEvents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ScaleEvent>> _scaleDownEvents = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>The defaulted scale-up rules (Kubernetes' GenerateHPAScaleUpRules): no window, +4 pods or +100 % per 15 s, the larger.</summary>
    public static V2HPAScalingRules DefaultScaleUp(V2HPAScalingRules? rules) => new()
    {
        StabilizationWindowSeconds = rules?.StabilizationWindowSeconds ?? 0,
        SelectPolicy = rules?.SelectPolicy ?? "Max",
        Policies = rules?.Policies is { Count: > 0 } p ? p : [new V2HPAScalingPolicy { Type = "Pods", PeriodSeconds = 15, Value = 4 }, new V2HPAScalingPolicy { Type = "Percent", PeriodSeconds = 15, Value = 100 }],
    };

    /// <summary>The defaulted scale-down rules (GenerateHPAScaleDownRules): the controller's window, −100 % per 15 s.</summary>
    public V2HPAScalingRules DefaultScaleDown(V2HPAScalingRules? rules) => new()
    {
        StabilizationWindowSeconds = rules?.StabilizationWindowSeconds ?? (int)downscaleStabilizationWindow.TotalSeconds,
        SelectPolicy = rules?.SelectPolicy ?? "Max",
        Policies = rules?.Policies is { Count: > 0 } p ? p : [new V2HPAScalingPolicy { Type = "Percent", PeriodSeconds = 15, Value = 100 }],
    };

    /// <summary>Normalizes the metrics' proposal for the HPA <paramref name="key"/>.</summary>
    public Normalization Normalize(string key, V2HorizontalPodAutoscalerBehavior? behavior, int minReplicas, int maxReplicas, int currentReplicas, int desiredReplicas)
    {
        lock (_lock)
        {
            return behavior is null
                ? Legacy(key, minReplicas, maxReplicas, currentReplicas, desiredReplicas)
                : WithBehavior(key, DefaultScaleUp(behavior.ScaleUp), DefaultScaleDown(behavior.ScaleDown), minReplicas, maxReplicas, currentReplicas, desiredReplicas);
        }
    }

    /// <summary>Records a rescale from <paramref name="previous"/> to <paramref name="replicas"/> for the policies' periods (storeScaleEvent).</summary>
    public void RecordScale(string key, V2HorizontalPodAutoscalerBehavior? behavior, int previous, int replicas)
    {
        if (behavior is null || previous == replicas)
        {
            return;
        }

        lock (_lock)
        {
            bool up = replicas > previous;
            V2HPAScalingRules rules = up ? DefaultScaleUp(behavior.ScaleUp) : DefaultScaleDown(behavior.ScaleDown);
            Dictionary<string, List<ScaleEvent>> all = up ? _scaleUpEvents : _scaleDownEvents;
            DateTimeOffset now = time.GetUtcNow();
            int longest = rules.Policies.Max(p => p.PeriodSeconds);
            List<ScaleEvent> events = all.TryGetValue(key, out List<ScaleEvent>? list) ? list : all[key] = [];
            events.RemoveAll(e => e.Timestamp <= now.AddSeconds(-longest));
            events.Add(new ScaleEvent(Math.Abs(replicas - previous), now));
        }
    }

    /// <summary>Forgets a deleted HPA.</summary>
    public void Forget(string key)
    {
        lock (_lock)
        {
            _recommendations.Remove(key);
            _scaleUpEvents.Remove(key);
            _scaleDownEvents.Remove(key);
        }
    }

    private Normalization Legacy(string key, int minReplicas, int maxReplicas, int currentReplicas, int desiredReplicas)
    {
        DateTimeOffset now = time.GetUtcNow();
        List<Recommendation> recommendations = Recommendations(key);
        int stabilized = desiredReplicas;
        foreach (Recommendation r in recommendations.Where(r => r.Timestamp > now - downscaleStabilizationWindow))
        {
            stabilized = Math.Max(stabilized, r.Replicas);
        }

        Record(recommendations, desiredReplicas, now, now - downscaleStabilizationWindow);
        (string ableReason, string ableMessage) = stabilized != desiredReplicas ? (ScaleDownStabilized, StabilizedMessage) : ("ReadyForNewScale", "recommended size matches current size");

        int scaleUpLimit = Math.Max(2 * currentReplicas, 4);
        (int maximum, string reason, string message) = maxReplicas > scaleUpLimit
            ? (scaleUpLimit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
            : (maxReplicas, "TooManyReplicas", "the desired replica count is more than the maximum replica count");
        return stabilized < minReplicas
            ? new(minReplicas, ableReason, ableMessage, true, "TooFewReplicas", "the desired replica count is less than the minimum replica count")
            : stabilized > maximum
                ? new(maximum, ableReason, ableMessage, true, reason, message)
                : new(stabilized, ableReason, ableMessage, false, "DesiredWithinRange", "the desired count is within the acceptable range");
    }

    private Normalization WithBehavior(string key, V2HPAScalingRules up, V2HPAScalingRules down, int minReplicas, int maxReplicas, int currentReplicas, int desiredReplicas)
    {
        DateTimeOffset now = time.GetUtcNow();
        DateTimeOffset upCutoff = now.AddSeconds(-(up.StabilizationWindowSeconds ?? 0));
        DateTimeOffset downCutoff = now.AddSeconds(-(down.StabilizationWindowSeconds ?? 0));
        List<Recommendation> recommendations = Recommendations(key);
        int upRecommendation = desiredReplicas;
        int downRecommendation = desiredReplicas;
        foreach (Recommendation r in recommendations)
        {
            if (r.Timestamp > upCutoff)
            {
                upRecommendation = Math.Min(upRecommendation, r.Replicas);
            }

            if (r.Timestamp > downCutoff)
            {
                downRecommendation = Math.Max(downRecommendation, r.Replicas);
            }
        }

        // Stay at the current count unless every recent recommendation agrees on moving: up by their minimum, down by their maximum.
        int stabilized = Math.Min(Math.Max(currentReplicas, upRecommendation), downRecommendation);
        Record(recommendations, desiredReplicas, now, upCutoff < downCutoff ? upCutoff : downCutoff);
        (string ableReason, string ableMessage) = stabilized != desiredReplicas ? (ScaleDownStabilized, StabilizedMessage) : ("ReadyForNewScale", "recommended size matches current size");

        if (stabilized > currentReplicas)
        {
            int limit = Math.Max(currentReplicas, ScaleUpLimit(key, currentReplicas, up));
            (int maximum, string reason, string message) = maxReplicas > limit
                ? (limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
                : (maxReplicas, "TooManyReplicas", "the desired replica count is more than the maximum replica count");
            if (stabilized > maximum)
            {
                return new(maximum, ableReason, ableMessage, true, reason, message);
            }
        }
        else if (stabilized < currentReplicas)
        {
            int limit = Math.Min(currentReplicas, ScaleDownLimit(key, currentReplicas, down));
            (int minimum, string reason, string message) = minReplicas < limit
                ? (limit, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
                : (minReplicas, "TooFewReplicas", "the desired replica count is less than the minimum replica count");
            if (stabilized < minimum)
            {
                return new(minimum, ableReason, ableMessage, true, reason, message);
            }
        }

        return new(stabilized, ableReason, ableMessage, false, "DesiredWithinRange", "the desired count is within the acceptable range");
    }

    // calculateScaleUpLimitWithScalingRules: each policy allows growth from the count at the start of its period.
    private int ScaleUpLimit(string key, int currentReplicas, V2HPAScalingRules rules)
    {
        if (rules.SelectPolicy == "Disabled")
        {
            return currentReplicas;
        }

        bool min = rules.SelectPolicy == "Min";
        int result = min ? int.MaxValue : int.MinValue;
        foreach (V2HPAScalingPolicy policy in rules.Policies)
        {
            int start = currentReplicas - ChangeInPeriod(_scaleUpEvents, key, policy.PeriodSeconds) + ChangeInPeriod(_scaleDownEvents, key, policy.PeriodSeconds);
            int proposed = policy.Type == "Pods" ? start + policy.Value : (int)Math.Ceiling(start * (1 + (policy.Value / 100.0)));
            result = min ? Math.Min(result, proposed) : Math.Max(result, proposed);
        }

        return result;
    }

    // calculateScaleDownLimitWithBehaviors: "Max" selects the policy allowing the biggest drop, the lowest count.
    private int ScaleDownLimit(string key, int currentReplicas, V2HPAScalingRules rules)
    {
        if (rules.SelectPolicy == "Disabled")
        {
            return currentReplicas;
        }

        bool min = rules.SelectPolicy == "Min";
        int result = min ? int.MinValue : int.MaxValue;
        foreach (V2HPAScalingPolicy policy in rules.Policies)
        {
            int start = currentReplicas - ChangeInPeriod(_scaleUpEvents, key, policy.PeriodSeconds) + ChangeInPeriod(_scaleDownEvents, key, policy.PeriodSeconds);
            int proposed = policy.Type == "Pods" ? start - policy.Value : (int)(start * (1 - (policy.Value / 100.0)));
            result = min ? Math.Max(result, proposed) : Math.Min(result, proposed);
        }

        return result;
    }

    private int ChangeInPeriod(Dictionary<string, List<ScaleEvent>> all, string key, int periodSeconds)
    {
        DateTimeOffset cutoff = time.GetUtcNow().AddSeconds(-periodSeconds);
        return all.TryGetValue(key, out List<ScaleEvent>? events) ? events.Where(e => e.Timestamp > cutoff).Sum(e => e.Change) : 0;
    }

    private List<Recommendation> Recommendations(string key) =>
        _recommendations.TryGetValue(key, out List<Recommendation>? list) ? list : _recommendations[key] = [];

    // Keeps the list bounded: a recommendation older than every window is replaced rather than appended to.
    private static void Record(List<Recommendation> recommendations, int replicas, DateTimeOffset now, DateTimeOffset oldestCutoff)
    {
        int old = recommendations.FindIndex(r => r.Timestamp < oldestCutoff);
        if (old >= 0)
        {
            recommendations[old] = new Recommendation(replicas, now);
        }
        else
        {
            recommendations.Add(new Recommendation(replicas, now));
        }
    }

    private readonly record struct Recommendation(int Replicas, DateTimeOffset Timestamp);

    private readonly record struct ScaleEvent(int Change, DateTimeOffset Timestamp);
}
