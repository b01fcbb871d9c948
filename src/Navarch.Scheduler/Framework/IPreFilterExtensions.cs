using k8s.Models;

namespace Navarch.Scheduler.Framework;

/// <summary>
/// A PreFilter plugin whose precomputed state depends on other pods implements this, so preemption's what-ifs
/// (remove a victim, give one back) update that state instead of filtering against pods that would be gone.
/// </summary>
internal interface IPreFilterExtensions
{
    void AddPod(CycleState state, V1Pod podToSchedule, PodInfo podToAdd, NodeInfo node);

    void RemovePod(CycleState state, V1Pod podToSchedule, PodInfo podToRemove, NodeInfo node);
}
