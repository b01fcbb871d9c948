using k8s.Models;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.Helpers;

namespace Navarch.Scheduler.Plugins.NodeUnschedulable;

/// <summary>Rejects cordoned nodes (spec.unschedulable) unless the pod tolerates the unschedulable taint.</summary>
internal sealed class NodeUnschedulablePlugin : IFilterPlugin
{
    public const string PluginName = "NodeUnschedulable";
    public const string Reason = "node(s) were unschedulable";

    private static readonly V1Taint UnschedulableTaint = new() { Key = "node.kubernetes.io/unschedulable", Effect = "NoSchedule" };

    public string Name => PluginName;

    public Status Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        if (node.Node?.Spec?.Unschedulable != true || Tolerations.AnyTolerates(pod.Spec.Tolerations, UnschedulableTaint))
        {
            return Status.Success;
        }

        return Status.Unresolvable(Reason);
    }
}
