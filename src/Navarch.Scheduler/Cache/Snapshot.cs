using System.Runtime.InteropServices;
using Navarch.Scheduler.Framework;

namespace Navarch.Scheduler.Cache;

/// <summary>
/// The cluster as one scheduling cycle sees it: clones of the cache's NodeInfos, refreshed at the start of each cycle
/// by copying only the nodes whose generation moved. Plugins read it; nothing writes it during the cycle.
/// </summary>
internal sealed class Snapshot
{
    private readonly Dictionary<string, NodeInfo> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _position = new(StringComparer.Ordinal);

    public IReadOnlyList<NodeInfo> Nodes { get; private set; } = new List<NodeInfo>();

    public IReadOnlyList<NodeInfo> NodesWithAffinityPods { get; private set; } = new List<NodeInfo>();

    public IReadOnlyList<NodeInfo> NodesWithRequiredAntiAffinityPods { get; private set; } = new List<NodeInfo>();

    /// <summary>How many nodes hold each image (ImageLocality scales by spread).</summary>
    public IReadOnlyDictionary<string, int> ImageNodeCounts { get; private set; } = new Dictionary<string, int>(StringComparer.Ordinal);

    public long Generation { get; set; }

    public NodeInfo? Get(string name) => _byName.GetValueOrDefault(name);

    /// <summary>A snapshot straight from NodeInfos (tests, benchmarks).</summary>
    public static Snapshot From(IEnumerable<NodeInfo> nodes)
    {
        var s = new Snapshot();
        foreach (NodeInfo n in nodes)
        {
            s._byName[n.Name] = n;
        }

        s.Rebuild();
        return s;
    }

    /// <summary>
    /// Brings this snapshot up to date with the cache's nodes (called under the cache's lock). A node that changed is
    /// swapped in place, keeping the list's order (as Kubernetes' snapshot does), so the usual cycle — one node changed
    /// by the last assumed pod — costs a pass over the map, not a sort of every node.
    /// </summary>
    internal void Update(IReadOnlyDictionary<string, NodeInfo> cacheNodes)
    {
        Apply(cacheNodes, changed: null);
    }

    /// <summary>
    /// Takes in <paramref name="changed"/>, the cache's nodes whose generation moved since this snapshot's, when the set
    /// of nodes is the same (the cache knows): no pass over every node at all.
    /// </summary>
    internal void UpdateChanged(IReadOnlyList<NodeInfo> changed)
    {
        Apply(null, changed);
    }

    private void Apply(IReadOnlyDictionary<string, NodeInfo>? cacheNodes, IReadOnlyList<NodeInfo>? changed)
    {
        bool membership = false;
        bool affinity = false;
        List<(NodeInfo Old, NodeInfo New)>? swapped = null;
        IEnumerable<NodeInfo> candidates = changed ?? cacheNodes!.Values;
        foreach (NodeInfo cached in candidates)
        {
            if (cached.Node is null)
            {
                continue;
            }

            string name = cached.Name;
            if (!_byName.TryGetValue(name, out NodeInfo? mine))
            {
                _byName[name] = cached.Clone();
                membership = true;
            }
            else if (mine.Generation != cached.Generation)
            {
                NodeInfo copy = cached.Clone();
                _byName[name] = copy;
                (swapped ??= []).Add((mine, copy));
                affinity |= mine.PodsWithAffinity.Count > 0 || copy.PodsWithAffinity.Count > 0
                    || mine.PodsWithRequiredAntiAffinity.Count > 0 || copy.PodsWithRequiredAntiAffinity.Count > 0;
            }
        }

        if (cacheNodes is not null && (_byName.Count != cacheNodes.Count || membership))
        {
            foreach (string name in _byName.Keys.Where(n => !cacheNodes.TryGetValue(n, out NodeInfo? c) || c.Node is null).ToList())
            {
                _byName.Remove(name);
                membership = true;
            }
        }

        if (membership || Nodes.Count != _byName.Count)
        {
            Rebuild();
            return;
        }

        if (swapped is null)
        {
            return;
        }

        var nodes = (List<NodeInfo>)Nodes;
        var counts = (Dictionary<string, int>)ImageNodeCounts;
        foreach ((NodeInfo old, NodeInfo copy) in swapped)
        {
            nodes[_position[old.Name]] = copy;
            foreach (string image in old.Images.Keys)
            {
                if (--CollectionsMarshal.GetValueRefOrNullRef(counts, image) == 0)
                {
                    counts.Remove(image);
                }
            }

            foreach (string image in copy.Images.Keys)
            {
                counts[image] = counts.GetValueOrDefault(image) + 1;
            }
        }

        // The affinity lists hold only nodes with such pods: untouched unless a swapped node had or has one.
        if (affinity)
        {
            RebuildAffinityLists(nodes);
        }
    }

    private void Rebuild()
    {
        var nodes = _byName.Values.OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
        _position.Clear();
        for (int i = 0; i < nodes.Count; i++)
        {
            _position[nodes[i].Name] = i;
        }

        Nodes = nodes;
        RebuildAffinityLists(nodes);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (NodeInfo n in nodes)
        {
            foreach (string image in n.Images.Keys)
            {
                counts[image] = counts.GetValueOrDefault(image) + 1;
            }
        }

        ImageNodeCounts = counts;
    }

    private void RebuildAffinityLists(List<NodeInfo> nodes)
    {
        NodesWithAffinityPods = nodes.Where(n => n.PodsWithAffinity.Count > 0).ToList();
        NodesWithRequiredAntiAffinityPods = nodes.Where(n => n.PodsWithRequiredAntiAffinity.Count > 0).ToList();
    }
}
