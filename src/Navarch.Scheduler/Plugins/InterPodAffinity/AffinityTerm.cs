using k8s.Models;
using Navarch.Scheduler.Plugins.Helpers;

namespace Navarch.Scheduler.Plugins.InterPodAffinity;

/// <summary>A pod (anti-)affinity term resolved against its owner: which namespaces, which labels, which topology, what weight.</summary>
internal sealed record AffinityTerm(HashSet<string>? Namespaces, V1LabelSelector? Selector, string TopologyKey, int Weight)
{
    /// <summary>Namespaces default to the owner's; an empty namespaceSelector means all namespaces.</summary>
    public static AffinityTerm From(V1PodAffinityTerm term, V1Pod owner, int weight = 1)
    {
        HashSet<string>? namespaces = term.NamespaceSelector is { } ns && (ns.MatchLabels?.Count ?? 0) == 0 && (ns.MatchExpressions?.Count ?? 0) == 0
            ? null
            : term.Namespaces is { Count: > 0 } list ? list.ToHashSet(StringComparer.Ordinal) : [owner.Metadata.NamespaceProperty];
        return new AffinityTerm(namespaces, term.LabelSelector, term.TopologyKey, weight);
    }

    public bool Matches(V1Pod pod) =>
        (Namespaces is null || Namespaces.Contains(pod.Metadata.NamespaceProperty)) && LabelSelectors.Matches(Selector, pod.Metadata.Labels);

    public static List<AffinityTerm> Required(IList<V1PodAffinityTerm>? terms, V1Pod owner) =>
        terms?.Select(t => From(t, owner)).ToList() ?? [];

    public static List<AffinityTerm> Preferred(IList<V1WeightedPodAffinityTerm>? terms, V1Pod owner) =>
        terms?.Select(t => From(t.PodAffinityTerm, owner, t.Weight)).ToList() ?? [];
}
