using k8s;
using k8s.Models;
using Navarch.Client.Informers;
using Navarch.Scheduler.Cache;
using Navarch.Scheduler.Queue;

namespace Navarch.Scheduler;

/// <summary>
/// Nodes into the cache. A node added, or changed in what scheduling reads (allocatable, labels, taints,
/// unschedulable, images), moves parked pods back; status heartbeats do not.
/// </summary>
internal sealed class NodeEventHandler(SchedulingQueue queue, SchedulerCache cache) : IResourceEventHandler<V1Node>
{
    public void OnAdd(V1Node obj)
    {
        cache.AddOrUpdateNode(obj);
        queue.MoveAllToActiveOrBackoff();
    }

    public void OnUpdate(V1Node oldObj, V1Node newObj)
    {
        cache.AddOrUpdateNode(newObj);
        if (Differs(oldObj.Status?.Allocatable, newObj.Status?.Allocatable) || Differs(oldObj.Metadata.Labels, newObj.Metadata.Labels)
            || Differs(oldObj.Spec?.Taints, newObj.Spec?.Taints) || oldObj.Spec?.Unschedulable != newObj.Spec?.Unschedulable
            || Differs(oldObj.Status?.Images, newObj.Status?.Images))
        {
            queue.MoveAllToActiveOrBackoff();
        }
    }

    public void OnDelete(V1Node lastKnown, bool finalStateUnknown) => cache.RemoveNode(lastKnown.Metadata.Name);

    private static bool Differs(object? a, object? b) => Json(a) != Json(b);

    private static string Json(object? o) => o is null ? "" : KubernetesJson.Serialize(o);
}
