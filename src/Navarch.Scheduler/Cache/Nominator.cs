using k8s.Models;
using Navarch.Scheduler.Framework;

namespace Navarch.Scheduler.Cache;

/// <summary>
/// Pending pods nominated to a node by preemption (status.nominatedNodeName). While they wait for their victims to
/// go, other pods of no higher priority must not take the room they freed, so filtering counts them on their node.
/// </summary>
internal sealed class Nominator
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (string Node, PodInfo Pod, int Priority)> _byPod = new(StringComparer.Ordinal);

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byPod.Count;
            }
        }
    }

    /// <summary>Records or clears the nomination of a pending pod (cleared when it has none or is bound).</summary>
    public void Set(V1Pod pod, int priority)
    {
        string key = $"{pod.Metadata.NamespaceProperty}/{pod.Metadata.Name}";
        lock (_lock)
        {
            if (string.IsNullOrEmpty(pod.Spec.NodeName) && pod.Status?.NominatedNodeName is { Length: > 0 } node)
            {
                _byPod[key] = (node, new PodInfo(pod), priority);
            }
            else
            {
                _byPod.Remove(key);
            }
        }
    }

    public void Remove(string key)
    {
        lock (_lock)
        {
            _byPod.Remove(key);
        }
    }

    /// <summary>Pods nominated to <paramref name="node"/> that outrank or equal <paramref name="priority"/>, other than <paramref name="exceptKey"/>.</summary>
    public List<PodInfo> On(string node, int priority, string exceptKey)
    {
        lock (_lock)
        {
            if (_byPod.Count == 0)
            {
                return [];
            }

            return _byPod.Where(kv => kv.Value.Node == node && kv.Value.Priority >= priority && kv.Key != exceptKey).Select(kv => kv.Value.Pod).ToList();
        }
    }
}
