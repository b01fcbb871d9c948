using k8s.Models;

namespace Navarch.Scheduler.Framework;

/// <summary>Runs once per cycle before Filter: checks the pod and precomputes what Filter needs.</summary>
internal interface IPreFilterPlugin : IPlugin
{
    Status PreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes);
}
