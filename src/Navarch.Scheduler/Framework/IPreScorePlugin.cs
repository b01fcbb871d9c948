using k8s.Models;

namespace Navarch.Scheduler.Framework;

/// <summary>Runs once per cycle over the feasible nodes before Score.</summary>
internal interface IPreScorePlugin : IPlugin
{
    Status PreScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> feasible, IReadOnlyList<NodeInfo> all);
}
