using k8s.Models;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.Helpers;

namespace Navarch.Scheduler.Plugins.PodTopologySpread;

/// <summary>
/// Spreads matching pods across topology domains. DoNotSchedule constraints filter: placing the pod must not make a
/// domain exceed the emptiest by more than maxSkew (the emptiest counts as 0 while fewer than minDomains domains
/// exist). ScheduleAnyway constraints — or, for pods without constraints, the system defaults (hostname skew 3, zone
/// skew 5, over the selector of the pod's Services and controllers) — score: fewer matching pods in the node's
/// domains is better. Only nodes a constraint's node inclusion policies admit are counted.
/// </summary>
internal sealed class PodTopologySpreadPlugin(Func<V1Pod, V1LabelSelector?>? defaultSelector = null) : IPreFilterPlugin, IPreFilterExtensions, IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    private readonly Func<V1Pod, V1LabelSelector?> _defaultSelector = defaultSelector ?? (_ => null);

    public const string PluginName = "PodTopologySpread";
    public const string Reason = "node(s) didn't match pod topology spread constraints";
    public const string MissingLabelReason = "node(s) didn't match pod topology spread constraints (missing required label)";
    private const string FilterKey = "PreFilter" + PluginName;
    private const string ScoreKey = "PreScore" + PluginName;

    public string Name => PluginName;

    public Status PreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        List<SpreadConstraint> hard = Constraints(pod, hard: true, _defaultSelector);
        if (hard.Count == 0)
        {
            return Status.Skip;
        }

        state.Write(FilterKey, Count(pod, hard, nodes));
        return Status.Success;
    }

    public Status Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        SpreadState? s = state.Read<SpreadState>(FilterKey);
        if (s is null || node.Node is not { } n)
        {
            return Status.Success;
        }

        IDictionary<string, string> labels = n.Metadata.Labels ?? new Dictionary<string, string>();
        foreach (SpreadConstraint c in s.Constraints)
        {
            if (!labels.TryGetValue(c.TopologyKey, out string? value))
            {
                return Status.Unresolvable(MissingLabelReason);
            }

            int self = LabelSelectors.Matches(c.Selector, pod.Metadata.Labels) ? 1 : 0;
            int min = s.DomainCounts.GetValueOrDefault(c.TopologyKey) < c.MinDomains ? 0 : s.MinCounts.GetValueOrDefault(c.TopologyKey);
            int skew = s.Counts.GetValueOrDefault(new TopologyPair(c.TopologyKey, value)) + self - min;
            if (skew > c.MaxSkew)
            {
                return Status.Unschedulable(Reason);
            }
        }

        return Status.Success;
    }

    public void AddPod(CycleState state, V1Pod podToSchedule, PodInfo podToAdd, NodeInfo node) => Update(state, podToSchedule, podToAdd, node, +1);

    public void RemovePod(CycleState state, V1Pod podToSchedule, PodInfo podToRemove, NodeInfo node) => Update(state, podToSchedule, podToRemove, node, -1);

    private static void Update(CycleState state, V1Pod pod, PodInfo other, NodeInfo node, int sign)
    {
        if (state.Read<SpreadState>(FilterKey) is not { } s || node.Node is not { } n || n.Metadata.Labels is not { } labels
            || s.Constraints.Any(c => !labels.ContainsKey(c.TopologyKey))
            || other.Pod.Metadata.NamespaceProperty != pod.Metadata.NamespaceProperty)
        {
            return;
        }

        // The state is shared with the cycle it was cloned from: change a copy.
        var counts = new Dictionary<TopologyPair, int>(s.Counts);
        foreach (SpreadConstraint c in s.Constraints)
        {
            if (c.Includes(pod, n) && LabelSelectors.Matches(c.Selector, other.Pod.Metadata.Labels))
            {
                var pair = new TopologyPair(c.TopologyKey, labels[c.TopologyKey]);
                counts[pair] = counts.GetValueOrDefault(pair) + sign;
            }
        }

        var mins = counts.GroupBy(kv => kv.Key.Key).ToDictionary(g => g.Key, g => g.Min(kv => kv.Value), StringComparer.Ordinal);
        state.Write(FilterKey, s with { Counts = counts, MinCounts = mins });
    }

    public Status PreScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> feasible, IReadOnlyList<NodeInfo> all)
    {
        List<SpreadConstraint> soft = Constraints(pod, hard: false, _defaultSelector);
        if (soft.Count == 0)
        {
            return Status.Skip;
        }

        state.Write(ScoreKey, Count(pod, soft, all));
        return Status.Success;
    }

    public long Score(CycleState state, V1Pod pod, NodeInfo node)
    {
        SpreadState? s = state.Read<SpreadState>(ScoreKey);
        IDictionary<string, string>? labels = node.Node?.Metadata.Labels;
        if (s is null || labels is null)
        {
            return 0;
        }

        double score = 0;
        foreach (SpreadConstraint c in s.Constraints)
        {
            if (labels.TryGetValue(c.TopologyKey, out string? value))
            {
                double weight = Math.Log(s.DomainCounts.GetValueOrDefault(c.TopologyKey) + 2);
                score += (s.Counts.GetValueOrDefault(new TopologyPair(c.TopologyKey, value)) * weight) + (c.MaxSkew - 1);
            }
        }

        return (long)Math.Round(score);
    }

    public void NormalizeScore(CycleState state, V1Pod pod, long[] scores)
    {
        if (scores.Length == 0)
        {
            return;
        }

        long min = scores.Min();
        long max = scores.Max();
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = max == 0 ? IScorePlugin.MaxNodeScore : IScorePlugin.MaxNodeScore * (max + min - scores[i]) / max;
        }
    }

    /// <summary>
    /// The pod's constraints of one kind; for soft ones with none given, the system defaults over
    /// <paramref name="defaultSelector"/>'s selector for the pod (none when nothing selects the pod).
    /// </summary>
    public static List<SpreadConstraint> Constraints(V1Pod pod, bool hard, Func<V1Pod, V1LabelSelector?> defaultSelector)
    {
        IList<V1TopologySpreadConstraint>? given = pod.Spec.TopologySpreadConstraints;
        if (given is { Count: > 0 })
        {
            return given.Where(c => (c.WhenUnsatisfiable == "DoNotSchedule") == hard)
                .Select(c => new SpreadConstraint(
                    c.TopologyKey, c.MaxSkew, hard, c.MinDomains ?? 1, WithMatchLabelKeys(c.LabelSelector, c.MatchLabelKeys, pod),
                    HonorNodeAffinity: c.NodeAffinityPolicy != "Ignore", HonorNodeTaints: c.NodeTaintsPolicy == "Honor"))
                .ToList();
        }

        if (hard || defaultSelector(pod) is not { } selector)
        {
            return [];
        }

        return
        [
            new SpreadConstraint("kubernetes.io/hostname", 3, false, 1, selector),
            new SpreadConstraint("topology.kubernetes.io/zone", 5, false, 1, selector),
        ];
    }

    private static V1LabelSelector WithMatchLabelKeys(V1LabelSelector? selector, IList<string>? keys, V1Pod pod)
    {
        selector ??= new V1LabelSelector();
        if (keys is not { Count: > 0 } || pod.Metadata.Labels is null)
        {
            return selector;
        }

        var expressions = new List<V1LabelSelectorRequirement>(selector.MatchExpressions ?? []);
        foreach (string key in keys)
        {
            if (pod.Metadata.Labels.TryGetValue(key, out string? v))
            {
                expressions.Add(new V1LabelSelectorRequirement { Key = key, OperatorProperty = "In", Values = [v] });
            }
        }

        return new V1LabelSelector { MatchLabels = selector.MatchLabels, MatchExpressions = expressions };
    }

    private static SpreadState Count(V1Pod pod, List<SpreadConstraint> constraints, IReadOnlyList<NodeInfo> nodes)
    {
        var counts = new Dictionary<TopologyPair, int>();
        foreach (NodeInfo node in nodes)
        {
            // Only nodes that carry every key count, and for each constraint only those its inclusion policies admit.
            if (node.Node is not { } n || n.Metadata.Labels is not { } labels || constraints.Any(c => !labels.ContainsKey(c.TopologyKey)))
            {
                continue;
            }

            foreach (SpreadConstraint c in constraints.Where(c => c.Includes(pod, n)))
            {
                var pair = new TopologyPair(c.TopologyKey, labels[c.TopologyKey]);
                int matching = node.Pods.Count(p => p.Pod.Metadata.NamespaceProperty == pod.Metadata.NamespaceProperty
                    && p.Pod.Metadata.DeletionTimestamp is null && LabelSelectors.Matches(c.Selector, p.Pod.Metadata.Labels));
                counts[pair] = counts.GetValueOrDefault(pair) + matching;
            }
        }

        var domains = new Dictionary<string, int>(StringComparer.Ordinal);
        var mins = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (IGrouping<string, KeyValuePair<TopologyPair, int>> g in counts.GroupBy(kv => kv.Key.Key))
        {
            domains[g.Key] = g.Count();
            mins[g.Key] = g.Min(kv => kv.Value);
        }

        return new SpreadState(constraints, counts, domains, mins);
    }
}
