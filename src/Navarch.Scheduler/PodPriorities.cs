using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Scheduler;

/// <summary>
/// A pod's priority: spec.priority when the API server's admission resolved it; otherwise its PriorityClass's value,
/// or the global default class's, or 0.
/// </summary>
internal sealed class PodPriorities(Indexer<V1PriorityClass> classes)
{
    public int Of(V1Pod pod)
    {
        if (pod.Spec.Priority is { } p)
        {
            return p;
        }

        if (!string.IsNullOrEmpty(pod.Spec.PriorityClassName))
        {
            return classes.Get(pod.Spec.PriorityClassName)?.Value ?? 0;
        }

        return classes.List().FirstOrDefault(c => c.GlobalDefault == true)?.Value ?? 0;
    }
}
