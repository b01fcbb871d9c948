using k8s.Models;
using Navarch.Scheduler.Framework;

namespace Navarch.Scheduler.Plugins.NodeName;

/// <summary>A pod that names its node fits only there.</summary>
internal sealed class NodeNamePlugin : IFilterPlugin
{
    public const string PluginName = "NodeName";
    public const string Reason = "node(s) didn't match the requested node name";

    public string Name => PluginName;

    public Status Filter(CycleState state, V1Pod pod, NodeInfo node) =>
        string.IsNullOrEmpty(pod.Spec.NodeName) || pod.Spec.NodeName == node.Name ? Status.Success : Status.Unresolvable(Reason);
}
