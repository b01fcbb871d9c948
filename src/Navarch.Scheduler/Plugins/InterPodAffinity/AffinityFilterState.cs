using Navarch.Scheduler.Plugins.Helpers;

namespace Navarch.Scheduler.Plugins.InterPodAffinity;

/// <summary>What InterPodAffinity's Filter needs, counted once per cycle over every node.</summary>
internal sealed record AffinityFilterState(
    List<AffinityTerm> Affinity,
    List<AffinityTerm> AntiAffinity,
    Dictionary<TopologyPair, int> ExistingAntiAffinity,
    Dictionary<TopologyPair, int> AffinityCounts,
    Dictionary<TopologyPair, int> AntiAffinityCounts);
