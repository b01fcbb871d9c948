using k8s.Models;
using Navarch.Client.Informers;
using Navarch.Scheduler.Cache;
using Navarch.Scheduler.Queue;

namespace Navarch.Scheduler;

/// <summary>
/// Routes informer events: pending pods this scheduler serves go to the queue; assigned pods and nodes go to the
/// cache; events that free room or add it (a node added or changed, an assigned pod deleted or finished) move parked
/// pods back for another try.
/// </summary>
internal sealed class ClusterEventHandlers(SchedulingQueue queue, SchedulerCache cache, PodPriorities priorities, IReadOnlySet<string> schedulerNames)
{
    public IResourceEventHandler<V1Pod> Pods => new ResourceEventHandler<V1Pod>(OnPod, OnPodDeleted);

    public IResourceEventHandler<V1Node> Nodes => new ResourceEventHandler<V1Node>(OnNode, (node, _) => cache.RemoveNode(node.Metadata.Name));

    private void OnPod(V1Pod pod)
    {
        string key = ObjectKeys.KeyOf(pod);
        if (!string.IsNullOrEmpty(pod.Spec.NodeName))
        {
            queue.Delete(key);
            if (pod.Status?.Phase is "Succeeded" or "Failed")
            {
                cache.RemovePod(key);
                queue.MoveAllToActiveOrBackoff();
            }
            else
            {
                cache.AddOrUpdatePod(pod);
            }

            return;
        }

        if (pod.Metadata.DeletionTimestamp is not null)
        {
            queue.Delete(key);
            return;
        }

        if (schedulerNames.Contains(pod.Spec.SchedulerName ?? "default-scheduler"))
        {
            queue.AddOrUpdate(pod, priorities.Of(pod));
        }
    }

    private void OnPodDeleted(V1Pod pod, bool finalStateUnknown)
    {
        string key = ObjectKeys.KeyOf(pod);
        queue.Delete(key);
        if (!string.IsNullOrEmpty(pod.Spec.NodeName) || cache.IsAssumed(key))
        {
            cache.RemovePod(key);
            queue.MoveAllToActiveOrBackoff();
        }
    }

    private void OnNode(V1Node node)
    {
        cache.AddOrUpdateNode(node);
        queue.MoveAllToActiveOrBackoff();
    }
}
