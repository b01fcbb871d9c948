using k8s.Models;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.Helpers;

namespace Navarch.Scheduler.Plugins.NodeAffinity;

/// <summary>
/// Filters by spec.nodeSelector and required node affinity terms; scores by the summed weights of the preferred
/// terms a node matches, normalised so the best node gets 100.
/// </summary>
internal sealed class NodeAffinityPlugin : IFilterPlugin, IScorePlugin
{
    public const string PluginName = "NodeAffinity";
    public const string Reason = "node(s) didn't match Pod's node affinity/selector";

    public string Name => PluginName;

    public Status Filter(CycleState state, V1Pod pod, NodeInfo node) =>
        node.Node is { } n && RequiredMatches(pod, n) ? Status.Success : Status.Unresolvable(Reason);

    public static bool RequiredMatches(V1Pod pod, V1Node node)
    {
        IDictionary<string, string> labels = node.Metadata.Labels ?? new Dictionary<string, string>();
        foreach (KeyValuePair<string, string> kv in pod.Spec.NodeSelector ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(kv.Key, out string? v) || v != kv.Value)
            {
                return false;
            }
        }

        V1NodeSelector? required = pod.Spec.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution;
        return required is null || LabelSelectors.MatchesAnyTerm(required.NodeSelectorTerms, node);
    }

    public long Score(CycleState state, V1Pod pod, NodeInfo node)
    {
        long score = 0;
        foreach (V1PreferredSchedulingTerm term in pod.Spec.Affinity?.NodeAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? [])
        {
            if (term.Weight != 0 && node.Node is { } n && LabelSelectors.MatchesTerm(term.Preference, n))
            {
                score += term.Weight;
            }
        }

        return score;
    }

    public void NormalizeScore(CycleState state, V1Pod pod, long[] scores) => Normalize.Default(scores, reverse: false);
}
