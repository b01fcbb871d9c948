namespace Navarch.Scheduler.Plugins.Helpers;

/// <summary>A topology domain: a label key and a value, e.g. (topology.kubernetes.io/zone, a).</summary>
internal readonly record struct TopologyPair(string Key, string Value);
