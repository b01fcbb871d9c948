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

    // Node names, most recently changed first (Kubernetes' nodeInfo list): a snapshot update walks only the head.
    private readonly LinkedList<string> _recent = new();
    private readonly Dictionary<string, LinkedListNode<string>> _recentByName = new(StringComparer.Ordinal);

    // The generation at which the set of nodes last changed: a snapshot older than it is rebuilt from every node.
    private long _membershipGeneration;

    public void AddOrUpdateNode(V1Node node)
    {
        lock (_lock)
        {
            NodeInfo info = NodeFor(node.Metadata.Name);
            bool added = info.Node is null;
            info.SetNode(node);
            Bump(node.Metadata.Name, info);
            if (added)
            {
                _membershipGeneration = _generation;
            }
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
                Bump(name, info);
                _membershipGeneration = _generation;
                if (info.Pods.Count == 0)
                {
                    Forget(name);
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

            if (snapshot.Generation == 0 || snapshot.Generation < _membershipGeneration)
            {
                snapshot.Update(_nodes);
            }
            else
            {
                var changed = new List<NodeInfo>();
                for (LinkedListNode<string>? n = _recent.First; n is not null; n = n.Next)
                {
                    NodeInfo info = _nodes[n.Value];
                    if (info.Generation <= snapshot.Generation)
                    {
                        break;
                    }

                    changed.Add(info);
                }

                snapshot.UpdateChanged(changed);
            }

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

    /// <summary>Marks <paramref name="info"/> changed: a new generation, and first in the recency list.</summary>
    private void Bump(string name, NodeInfo info)
    {
        info.Generation = ++_generation;
        if (_recentByName.TryGetValue(name, out LinkedListNode<string>? entry))
        {
            _recent.Remove(entry);
            _recent.AddFirst(entry);
        }
        else
        {
            _recentByName[name] = _recent.AddFirst(name);
        }
    }

    private void Forget(string name)
    {
        _nodes.Remove(name);
        if (_recentByName.Remove(name, out LinkedListNode<string>? entry))
        {
            _recent.Remove(entry);
        }
    }

    private void Place(PodInfo info, string nodeName)
    {
        NodeInfo node = NodeFor(nodeName);
        node.AddPod(info);
        Bump(nodeName, node);
    }

    private void Unplace(CachedPod p)
    {
        if (_nodes.TryGetValue(p.NodeName, out NodeInfo? node) && node.RemovePod(p.Info.Key))
        {
            Bump(p.NodeName, node);
            if (node.Node is null && node.Pods.Count == 0)
            {
                Forget(p.NodeName);
            }
        }
    }
}
