using k8s.Models;

namespace Navarch.Scheduler.Plugins.PodTopologySpread;

/// <summary>A topology spread constraint with its selector already extended by matchLabelKeys.</summary>
internal sealed record SpreadConstraint(string TopologyKey, int MaxSkew, bool Hard, int MinDomains, V1LabelSelector Selector);
