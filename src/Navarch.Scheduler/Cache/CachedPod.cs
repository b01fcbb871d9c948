using Navarch.Scheduler.Framework;

namespace Navarch.Scheduler.Cache;

/// <summary>A pod the cache counts on a node; assumed ones expire unless their binding is observed.</summary>
internal sealed class CachedPod(PodInfo info, string nodeName, bool assumed)
{
    public PodInfo Info { get; set; } = info;

    public string NodeName { get; set; } = nodeName;

    public bool Assumed { get; set; } = assumed;

    /// <summary>Set once binding finished: the assumption expires then if the informer never confirms it.</summary>
    public DateTimeOffset? Deadline { get; set; }
}
