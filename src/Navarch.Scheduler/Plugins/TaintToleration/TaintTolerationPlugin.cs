using k8s.Models;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.Helpers;

namespace Navarch.Scheduler.Plugins.TaintToleration;

/// <summary>
/// Rejects nodes with a NoSchedule or NoExecute taint the pod does not tolerate; prefers nodes with fewer untolerated
/// PreferNoSchedule taints.
/// </summary>
internal sealed class TaintTolerationPlugin : IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    public const string PluginName = "TaintToleration";

    public string Name => PluginName;

    public Status Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        V1Taint? taint = Tolerations.FirstUntolerated(node.Node?.Spec?.Taints, pod.Spec.Tolerations, "NoSchedule", "NoExecute");
        return taint is null ? Status.Success : Status.Unresolvable($"node(s) had untolerated taint {{{taint.Key}: {taint.Value}}}");
    }

    private const string StateKey = "PreScore" + PluginName;

    public Status PreScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> feasible, IReadOnlyList<NodeInfo> all)
    {
        state.Write(StateKey, PreferTolerations(pod));
        return Status.Success;
    }

    private static List<V1Toleration> PreferTolerations(V1Pod pod) =>
        (pod.Spec.Tolerations ?? []).Where(t => string.IsNullOrEmpty(t.Effect) || t.Effect == "PreferNoSchedule").ToList();

    public long Score(CycleState state, V1Pod pod, NodeInfo node)
    {
        if (node.Node?.Spec?.Taints is not { Count: > 0 })
        {
            return 0;
        }

        List<V1Toleration> preferTolerations = state.Read<List<V1Toleration>>(StateKey) ?? PreferTolerations(pod);
        return node.Node?.Spec?.Taints?.Count(t => t.Effect == "PreferNoSchedule" && !Tolerations.AnyTolerates(preferTolerations, t)) ?? 0;
    }

    public void NormalizeScore(CycleState state, V1Pod pod, long[] scores) => Normalize.Default(scores, reverse: true);
}
