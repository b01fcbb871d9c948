using Navarch.Scheduler.Plugins.Helpers;

namespace Navarch.Scheduler.Plugins.PodTopologySpread;

/// <summary>Per constraint: matching pods per domain, over the nodes eligible for the pod.</summary>
internal sealed record SpreadState(List<SpreadConstraint> Constraints, Dictionary<TopologyPair, int> Counts, Dictionary<string, int> DomainCounts, Dictionary<string, int> MinCounts);
