using k8s.Models;
using Navarch.Scheduler.Framework;

namespace Navarch.Scheduler.Cache;

/// <summary>
/// What is on each node, updated incrementally from the node and pod informers. A pod the scheduler has decided on is
/// "assumed" onto its node at once, so the next cycle sees it, until the informer shows the binding; an assumption
/// whose binding finished but never showed up expires after <c>ttl</c>.
/// </summary>
internal sealed class SchedulerCache(TimeProvider time, TimeSpan ttl)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, NodeInfo> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CachedPod> _pods = new(StringComparer.Ordinal);
    private long _generation;

    public void AddOrUpdateNode(V1Node node)
    {
        lock (_lock)
        {
            NodeInfo info = NodeFor(node.Metadata.Name);
            info.SetNode(node);
            info.Generation = ++_generation;
        }
    }

    public void RemoveNode(string name)
    {
        lock (_lock)
        {
            if (_nodes.TryGetValue(name, out NodeInfo? info))
            {
                // Keep the pods' accounting (they may move when the node returns); the snapshot drops node-less entries.
                info.SetNode(null);
                info.Generation = ++_generation;
                if (info.Pods.Count == 0)
                {
                    _nodes.Remove(name);
                }
            }
        }
    }

    public bool IsAssumed(string key)
    {
        lock (_lock)
        {
            return _pods.TryGetValue(key, out CachedPod? p) && p.Assumed;
        }
    }

    public int PodCount
    {
        get
        {
            lock (_lock)
            {
                return _pods.Count;
            }
        }
    }

    /// <summary>Counts <paramref name="pod"/> against <paramref name="nodeName"/> from now on, before the binding is seen.</summary>
    public void AssumePod(V1Pod pod, string nodeName)
    {
        var info = new PodInfo(pod);
        lock (_lock)
        {
            if (_pods.ContainsKey(info.Key))
            {
                return;
            }

            _pods[info.Key] = new CachedPod(info, nodeName, assumed: true);
            Place(info, nodeName);
        }
    }

    /// <summary>The binding call returned: start the assumption's expiry clock.</summary>
    public void FinishBinding(string key)
    {
        lock (_lock)
        {
            if (_pods.TryGetValue(key, out CachedPod? p) && p.Assumed)
            {
                p.Deadline = time.GetUtcNow() + ttl;
            }
        }
    }

    /// <summary>The decision was abandoned (binding failed): stop counting the pod.</summary>
    public void ForgetPod(string key)
    {
        lock (_lock)
        {
            if (_pods.TryGetValue(key, out CachedPod? p) && p.Assumed)
            {
                Unplace(p);
                _pods.Remove(key);
            }
        }
    }

    /// <summary>An assigned pod from the informer (added or updated): confirms an assumption or (re)places it.</summary>
    public void AddOrUpdatePod(V1Pod pod)
    {
        var info = new PodInfo(pod);
        lock (_lock)
        {
            if (_pods.TryGetValue(info.Key, out CachedPod? existing))
            {
                Unplace(existing);
            }

            _pods[info.Key] = new CachedPod(info, pod.Spec.NodeName, assumed: false);
            Place(info, pod.Spec.NodeName);
        }
    }

    public void RemovePod(string key)
    {
        lock (_lock)
        {
            if (_pods.Remove(key, out CachedPod? p))
            {
                Unplace(p);
            }
        }
    }

    /// <summary>Drops expired assumptions and refreshes <paramref name="snapshot"/> from the nodes that changed.</summary>
    public void UpdateSnapshot(Snapshot snapshot)
    {
        lock (_lock)
        {
            ExpireAssumed();
            if (snapshot.Generation == _generation)
            {
                return;
            }

            snapshot.Update(_nodes);
            snapshot.Generation = _generation;
        }
    }

    private void ExpireAssumed()
    {
        DateTimeOffset now = time.GetUtcNow();
        foreach (CachedPod p in _pods.Values.Where(p => p.Assumed && p.Deadline is { } d && d <= now).ToList())
        {
            Unplace(p);
            _pods.Remove(p.Info.Key);
        }
    }

    private NodeInfo NodeFor(string name)
    {
        if (!_nodes.TryGetValue(name, out NodeInfo? info))
        {
            _nodes[name] = info = new NodeInfo();
        }

        return info;
    }

    private void Place(PodInfo info, string nodeName)
    {
        NodeInfo node = NodeFor(nodeName);
        node.AddPod(info);
        node.Generation = ++_generation;
    }

    private void Unplace(CachedPod p)
    {
        if (_nodes.TryGetValue(p.NodeName, out NodeInfo? node) && node.RemovePod(p.Info.Key))
        {
            node.Generation = ++_generation;
            if (node.Node is null && node.Pods.Count == 0)
            {
                _nodes.Remove(p.NodeName);
            }
        }
    }
}
