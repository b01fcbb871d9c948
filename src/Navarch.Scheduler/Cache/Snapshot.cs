using Navarch.Scheduler.Framework;

namespace Navarch.Scheduler.Cache;

/// <summary>
/// The cluster as one scheduling cycle sees it: clones of the cache's NodeInfos, refreshed at the start of each cycle
/// by copying only the nodes whose generation moved. Plugins read it; nothing writes it during the cycle.
/// </summary>
internal sealed class Snapshot
{
    private readonly Dictionary<string, NodeInfo> _byName = new(StringComparer.Ordinal);

    public IReadOnlyList<NodeInfo> Nodes { get; private set; } = [];

    public IReadOnlyList<NodeInfo> NodesWithAffinityPods { get; private set; } = [];

    public IReadOnlyList<NodeInfo> NodesWithRequiredAntiAffinityPods { get; private set; } = [];

    /// <summary>How many nodes hold each image (ImageLocality scales by spread).</summary>
    public IReadOnlyDictionary<string, int> ImageNodeCounts { get; private set; } = new Dictionary<string, int>();

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

    /// <summary>Brings this snapshot up to date with the cache's nodes (called under the cache's lock).</summary>
    internal void Update(IReadOnlyDictionary<string, NodeInfo> cacheNodes)
    {
        bool changed = false;
        foreach (KeyValuePair<string, NodeInfo> kv in cacheNodes)
        {
            if (kv.Value.Node is null)
            {
                continue;
            }

            if (!_byName.TryGetValue(kv.Key, out NodeInfo? mine) || mine.Generation != kv.Value.Generation)
            {
                _byName[kv.Key] = kv.Value.Clone();
                changed = true;
            }
        }

        foreach (string name in _byName.Keys.Where(n => !cacheNodes.TryGetValue(n, out NodeInfo? c) || c.Node is null).ToList())
        {
            _byName.Remove(name);
            changed = true;
        }

        if (changed || Nodes.Count != _byName.Count)
        {
            Rebuild();
        }
    }

    private void Rebuild()
    {
        var nodes = _byName.Values.OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
        Nodes = nodes;
        NodesWithAffinityPods = nodes.Where(n => n.PodsWithAffinity.Count > 0).ToList();
        NodesWithRequiredAntiAffinityPods = nodes.Where(n => n.PodsWithRequiredAntiAffinity.Count > 0).ToList();
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
}
