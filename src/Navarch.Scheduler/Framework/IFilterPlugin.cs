using k8s.Models;

namespace Navarch.Scheduler.Framework;

/// <summary>Says whether the pod can run on one node. Called in parallel across nodes.</summary>
internal interface IFilterPlugin : IPlugin
{
    Status Filter(CycleState state, V1Pod pod, NodeInfo node);
}
