using k8s.Models;

namespace Navarch.Scheduler.Framework;

/// <summary>Told when a node is chosen (Reserve) and when that choice is abandoned (Unreserve).</summary>
internal interface IReservePlugin : IPlugin
{
    Status Reserve(CycleState state, V1Pod pod, string nodeName);

    void Unreserve(CycleState state, V1Pod pod, string nodeName);
}
