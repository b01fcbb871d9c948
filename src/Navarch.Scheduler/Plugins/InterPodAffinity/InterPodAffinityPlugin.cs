using k8s.Models;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.Helpers;

namespace Navarch.Scheduler.Plugins.InterPodAffinity;

/// <summary>
/// Pod affinity and anti-affinity by topology domain. Filter: the pod's required affinity terms must find a matching
/// pod in the node's domain (unless no pod anywhere matches and the pod matches its own terms — the first of a group);
/// its required anti-affinity terms must not; and no existing pod's required anti-affinity may match the pod in the
/// node's domain. Score: preferred terms both ways add or subtract their weights per domain.
/// </summary>
internal sealed class InterPodAffinityPlugin(NamespaceLabels? namespaceLabels = null) : IPreFilterPlugin, IPreFilterExtensions, IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    public const string PluginName = "InterPodAffinity";
    public const string AffinityReason = "node(s) didn't match pod affinity rules";
    public const string AntiAffinityReason = "node(s) didn't match pod anti-affinity rules";
    public const string ExistingAntiAffinityReason = "node(s) didn't satisfy existing pods anti-affinity rules";
    private const string FilterKey = "PreFilter" + PluginName;
    private const string ScoreKey = "PreScore" + PluginName;

    /// <summary>The weight an existing pod's required affinity term gives when scoring (hardPodAffinityWeight).</summary>
    private const int HardPodAffinityWeight = 1;

    public string Name => PluginName;

    public Status PreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        List<AffinityTerm> affinity = AffinityTerm.Required(pod.Spec.Affinity?.PodAffinity?.RequiredDuringSchedulingIgnoredDuringExecution, pod, namespaceLabels);
        List<AffinityTerm> anti = AffinityTerm.Required(pod.Spec.Affinity?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution, pod, namespaceLabels);
        var existing = new Dictionary<TopologyPair, int>();
        foreach (NodeInfo node in nodes.Where(n => n.PodsWithRequiredAntiAffinity.Count > 0))
        {
            foreach (PodInfo p in node.PodsWithRequiredAntiAffinity)
            {
                CountExisting(p, node, pod, existing, +1);
            }
        }

        if (affinity.Count == 0 && anti.Count == 0 && existing.Count == 0)
        {
            return Status.Skip;
        }

        var affinityCounts = new Dictionary<TopologyPair, int>();
        var antiCounts = new Dictionary<TopologyPair, int>();
        if (affinity.Count > 0 || anti.Count > 0)
        {
            foreach (NodeInfo node in nodes)
            {
                foreach (PodInfo p in node.Pods)
                {
                    CountTerms(affinity, p.Pod, node, affinityCounts, all: true, +1);
                    CountTerms(anti, p.Pod, node, antiCounts, all: false, +1);
                }
            }
        }

        state.Write(FilterKey, new AffinityFilterState(affinity, anti, existing, affinityCounts, antiCounts));
        return Status.Success;
    }

    public Status Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        AffinityFilterState? s = state.Read<AffinityFilterState>(FilterKey);
        if (s is null || node.Node is not { } n)
        {
            return Status.Success;
        }

        IDictionary<string, string> labels = n.Metadata.Labels ?? new Dictionary<string, string>();
        foreach (KeyValuePair<string, string> kv in labels)
        {
            if (s.ExistingAntiAffinity.GetValueOrDefault(new TopologyPair(kv.Key, kv.Value)) > 0)
            {
                return Status.Unschedulable(ExistingAntiAffinityReason);
            }
        }

        if (s.Affinity.Count > 0)
        {
            bool satisfied = s.Affinity.All(t => labels.TryGetValue(t.TopologyKey, out string? v) && s.AffinityCounts.GetValueOrDefault(new TopologyPair(t.TopologyKey, v)) > 0);
            if (!satisfied)
            {
                // The first pod of a group that selects itself may go anywhere its topology keys exist.
                bool first = s.AffinityCounts.Count == 0 && s.Affinity.All(t => t.Matches(pod) && labels.ContainsKey(t.TopologyKey));
                if (!first)
                {
                    return Status.Unresolvable(AffinityReason);
                }
            }
        }

        foreach (AffinityTerm t in s.AntiAffinity)
        {
            if (labels.TryGetValue(t.TopologyKey, out string? v) && s.AntiAffinityCounts.GetValueOrDefault(new TopologyPair(t.TopologyKey, v)) > 0)
            {
                return Status.Unschedulable(AntiAffinityReason);
            }
        }

        return Status.Success;
    }

    public Status PreScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> feasible, IReadOnlyList<NodeInfo> all)
    {
        List<AffinityTerm> preferred = AffinityTerm.Preferred(pod.Spec.Affinity?.PodAffinity?.PreferredDuringSchedulingIgnoredDuringExecution, pod, namespaceLabels);
        List<AffinityTerm> preferredAnti = AffinityTerm.Preferred(pod.Spec.Affinity?.PodAntiAffinity?.PreferredDuringSchedulingIgnoredDuringExecution, pod, namespaceLabels);
        bool incoming = preferred.Count > 0 || preferredAnti.Count > 0;
        IEnumerable<NodeInfo> nodes = incoming ? all : all.Where(n => n.PodsWithAffinity.Count > 0);
        var scores = new Dictionary<TopologyPair, long>();
        foreach (NodeInfo node in nodes)
        {
            foreach (PodInfo p in incoming ? node.Pods : node.PodsWithAffinity)
            {
                V1Affinity? theirs = p.Pod.Spec.Affinity;
                Add(scores, node, preferred.Where(t => t.Matches(p.Pod)), +1);
                Add(scores, node, preferredAnti.Where(t => t.Matches(p.Pod)), -1);
                Add(scores, node, AffinityTerm.Preferred(theirs?.PodAffinity?.PreferredDuringSchedulingIgnoredDuringExecution, p.Pod, namespaceLabels).Where(t => t.Matches(pod)), +1);
                Add(scores, node, AffinityTerm.Required(theirs?.PodAffinity?.RequiredDuringSchedulingIgnoredDuringExecution, p.Pod, namespaceLabels).Where(t => t.Matches(pod)).Select(t => t with { Weight = HardPodAffinityWeight }), +1);
                Add(scores, node, AffinityTerm.Preferred(theirs?.PodAntiAffinity?.PreferredDuringSchedulingIgnoredDuringExecution, p.Pod, namespaceLabels).Where(t => t.Matches(pod)), -1);
            }
        }

        if (scores.Count == 0)
        {
            return Status.Skip;
        }

        state.Write(ScoreKey, scores);
        return Status.Success;
    }

    public long Score(CycleState state, V1Pod pod, NodeInfo node)
    {
        Dictionary<TopologyPair, long>? scores = state.Read<Dictionary<TopologyPair, long>>(ScoreKey);
        if (scores is null || node.Node?.Metadata.Labels is not { } labels)
        {
            return 0;
        }

        long score = 0;
        foreach (KeyValuePair<string, string> kv in labels)
        {
            score += scores.GetValueOrDefault(new TopologyPair(kv.Key, kv.Value));
        }

        return score;
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
            scores[i] = max == min ? 0 : IScorePlugin.MaxNodeScore * (scores[i] - min) / (max - min);
        }
    }

    public void AddPod(CycleState state, V1Pod podToSchedule, PodInfo podToAdd, NodeInfo node) => Update(state, podToSchedule, podToAdd, node, +1);

    public void RemovePod(CycleState state, V1Pod podToSchedule, PodInfo podToRemove, NodeInfo node) => Update(state, podToSchedule, podToRemove, node, -1);

    private void Update(CycleState state, V1Pod pod, PodInfo other, NodeInfo node, int sign)
    {
        if (state.Read<AffinityFilterState>(FilterKey) is not { } s)
        {
            return;
        }

        // The state is shared with the cycle it was cloned from: change copies.
        var existing = new Dictionary<TopologyPair, int>(s.ExistingAntiAffinity);
        var affinity = new Dictionary<TopologyPair, int>(s.AffinityCounts);
        var anti = new Dictionary<TopologyPair, int>(s.AntiAffinityCounts);
        if (other.HasRequiredAntiAffinity)
        {
            CountExisting(other, node, pod, existing, sign);
        }

        CountTerms(s.Affinity, other.Pod, node, affinity, all: true, sign);
        CountTerms(s.AntiAffinity, other.Pod, node, anti, all: false, sign);
        state.Write(FilterKey, s with { ExistingAntiAffinity = Positive(existing), AffinityCounts = Positive(affinity), AntiAffinityCounts = Positive(anti) });
    }

    private static Dictionary<TopologyPair, int> Positive(Dictionary<TopologyPair, int> counts)
    {
        foreach (TopologyPair k in counts.Where(kv => kv.Value <= 0).Select(kv => kv.Key).ToList())
        {
            counts.Remove(k);
        }

        return counts;
    }

    private void CountExisting(PodInfo existing, NodeInfo node, V1Pod pod, Dictionary<TopologyPair, int> counts, int sign)
    {
        foreach (AffinityTerm t in AffinityTerm.Required(existing.Pod.Spec.Affinity!.PodAntiAffinity!.RequiredDuringSchedulingIgnoredDuringExecution, existing.Pod, namespaceLabels))
        {
            if (t.Matches(pod) && Domain(node, t.TopologyKey) is { } pair)
            {
                counts[pair] = counts.GetValueOrDefault(pair) + sign;
            }
        }
    }

    private static void CountTerms(List<AffinityTerm> terms, V1Pod existing, NodeInfo node, Dictionary<TopologyPair, int> counts, bool all, int sign)
    {
        if (terms.Count == 0)
        {
            return;
        }

        // Affinity needs one pod matching every term; anti-affinity counts each term on its own.
        if (all)
        {
            if (terms.All(t => t.Matches(existing)))
            {
                foreach (AffinityTerm t in terms)
                {
                    if (Domain(node, t.TopologyKey) is { } pair)
                    {
                        counts[pair] = counts.GetValueOrDefault(pair) + sign;
                    }
                }
            }

            return;
        }

        foreach (AffinityTerm t in terms)
        {
            if (t.Matches(existing) && Domain(node, t.TopologyKey) is { } pair)
            {
                counts[pair] = counts.GetValueOrDefault(pair) + sign;
            }
        }
    }

    private static void Add(Dictionary<TopologyPair, long> scores, NodeInfo node, IEnumerable<AffinityTerm> terms, int sign)
    {
        foreach (AffinityTerm t in terms)
        {
            if (Domain(node, t.TopologyKey) is { } pair)
            {
                scores[pair] = scores.GetValueOrDefault(pair) + (sign * t.Weight);
            }
        }
    }

    private static TopologyPair? Domain(NodeInfo node, string key) =>
        node.Node?.Metadata.Labels is { } labels && labels.TryGetValue(key, out string? v) ? new TopologyPair(key, v) : null;
}
