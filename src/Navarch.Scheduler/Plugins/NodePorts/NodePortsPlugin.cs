using k8s.Models;
using Navarch.Scheduler.Framework;

namespace Navarch.Scheduler.Plugins.NodePorts;

/// <summary>Rejects nodes where a host port the pod asks for is taken.</summary>
internal sealed class NodePortsPlugin : IPreFilterPlugin, IFilterPlugin
{
    public const string PluginName = "NodePorts";
    public const string Reason = "node(s) didn't have free ports for the requested pod ports";
    private const string StateKey = "PreFilter" + PluginName;

    public string Name => PluginName;

    public Status PreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        List<HostPort> ports = NodeInfo.PortsOf(pod).ToList();
        if (ports.Count == 0)
        {
            return Status.Skip;
        }

        state.Write(StateKey, ports);
        return Status.Success;
    }

    public Status Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        List<HostPort> wanted = state.Read<List<HostPort>>(StateKey) ?? NodeInfo.PortsOf(pod).ToList();
        foreach (HostPort w in wanted)
        {
            if (node.UsedPorts.Any(u => u.ConflictsWith(w)))
            {
                return Status.Unschedulable(Reason);
            }
        }

        return Status.Success;
    }
}
