using k8s.Models;
using Navarch.Scheduler.Plugins.Helpers;
using Navarch.Scheduler.Plugins.NodeAffinity;

namespace Navarch.Scheduler.Plugins.PodTopologySpread;

/// <summary>
/// A topology spread constraint with its selector already extended by matchLabelKeys, and its node inclusion
/// policies: nodeAffinityPolicy Honor (the default) counts only nodes the pod's nodeSelector and required node
/// affinity allow; nodeTaintsPolicy Honor (default Ignore) counts only nodes whose NoSchedule/NoExecute taints the pod tolerates.
/// </summary>
internal sealed record SpreadConstraint(string TopologyKey, int MaxSkew, bool Hard, int MinDomains, V1LabelSelector Selector, bool HonorNodeAffinity = true, bool HonorNodeTaints = false)
{
    /// <summary>Whether pods on <paramref name="node"/> count towards this constraint for <paramref name="pod"/>.</summary>
    public bool Includes(V1Pod pod, V1Node node) =>
        (!HonorNodeAffinity || NodeAffinityPlugin.RequiredMatches(pod, node))
        && (!HonorNodeTaints || Tolerations.FirstUntolerated(node.Spec?.Taints, pod.Spec.Tolerations, "NoSchedule", "NoExecute") is null);
}
