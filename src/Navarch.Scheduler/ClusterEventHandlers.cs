using k8s;
using k8s.Models;
using Navarch.Client.Informers;
using Navarch.Scheduler.Cache;
using Navarch.Scheduler.Queue;

namespace Navarch.Scheduler;

/// <summary>
/// Routes informer events (kube-scheduler's eventhandlers.go): pending pods this scheduler serves go to the queue;
/// assigned pods go to the cache; an assigned pod deleted or finished frees room, so it moves parked pods back for
/// another try. Nodes go to the cache; a node added, or changed in what scheduling reads (allocatable, labels, taints,
/// unschedulable, images), moves parked pods back; status heartbeats do not. Claims, volumes and classes added or
/// changed move parked pods back too (VolumeBinding).
/// </summary>
internal sealed class ClusterEventHandlers(SchedulingQueue queue, SchedulerCache cache, Nominator nominator, PodPriorities priorities, IReadOnlySet<string> schedulerNames)
{
    public IResourceEventHandler<V1Pod> Pods => new ResourceEventHandler<V1Pod>(OnPod, OnPodDeleted);

    public IResourceEventHandler<V1Node> Nodes => new ResourceEventHandler<V1Node>
    {
        AddFunc = OnNodeAdded,
        UpdateFunc = OnNodeUpdated,
        DeleteFunc = (node, _) => cache.RemoveNode(node.Metadata.Name),
    };

    /// <summary>A claim, volume or class added or changed may let a parked pod's volumes bind: it moves them back.</summary>
    public IResourceEventHandler<T> StorageChanged<T>()
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        new ResourceEventHandler<T> { AddFunc = _ => queue.MoveAllToActiveOrBackoff(), UpdateFunc = (_, _) => queue.MoveAllToActiveOrBackoff() };

    private void OnPod(V1Pod pod)
    {
        string key = ObjectKeys.KeyOf(pod);
        if (!string.IsNullOrEmpty(pod.Spec.NodeName))
        {
            queue.Delete(key);
            nominator.Remove(key);
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
            nominator.Remove(key);
            return;
        }

        if (schedulerNames.Contains(pod.Spec.SchedulerName ?? "default-scheduler"))
        {
            int priority = priorities.Of(pod);
            nominator.Set(pod, priority);
            queue.AddOrUpdate(pod, priority);
        }
    }

    private void OnPodDeleted(V1Pod pod, bool finalStateUnknown)
    {
        string key = ObjectKeys.KeyOf(pod);
        queue.Delete(key);
        nominator.Remove(key);
        if (!string.IsNullOrEmpty(pod.Spec.NodeName) || cache.IsAssumed(key))
        {
            cache.RemovePod(key);
            queue.MoveAllToActiveOrBackoff();
        }
    }

    private void OnNodeAdded(V1Node node)
    {
        cache.AddOrUpdateNode(node);
        queue.MoveAllToActiveOrBackoff();
    }

    private void OnNodeUpdated(V1Node oldNode, V1Node newNode)
    {
        cache.AddOrUpdateNode(newNode);
        if (Differs(oldNode.Status?.Allocatable, newNode.Status?.Allocatable) || Differs(oldNode.Metadata.Labels, newNode.Metadata.Labels)
            || Differs(oldNode.Spec?.Taints, newNode.Spec?.Taints) || oldNode.Spec?.Unschedulable != newNode.Spec?.Unschedulable
            || Differs(oldNode.Status?.Images, newNode.Status?.Images))
        {
            queue.MoveAllToActiveOrBackoff();
        }
    }

    private static bool Differs(object? a, object? b) => Json(a) != Json(b);

    private static string Json(object? o) => o is null ? "" : KubernetesJson.Serialize(o);
}
