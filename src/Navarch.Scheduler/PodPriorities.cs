using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Scheduler;

/// <summary>
/// A pod's priority. Kubernetes' Priority admission copies the PriorityClass's value into spec.priority; an API server
/// that only defaults spec.priority to 0 leaves that to us, so a named class wins when it exists, then spec.priority,
/// then the global default class, then 0.
/// </summary>
internal sealed class PodPriorities(Indexer<V1PriorityClass> classes)
{
    public int Of(V1Pod pod)
    {
        if (!string.IsNullOrEmpty(pod.Spec.PriorityClassName) && classes.Get(pod.Spec.PriorityClassName) is { } named)
        {
            return named.Value ?? 0;
        }

        if (pod.Spec.Priority is { } p && (p != 0 || !string.IsNullOrEmpty(pod.Spec.PriorityClassName)))
        {
            return p;
        }

        return classes.Count == 0 ? 0 : classes.List().FirstOrDefault(c => c.GlobalDefault == true)?.Value ?? (pod.Spec.Priority ?? 0);
    }
}
