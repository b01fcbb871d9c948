using k8s.Models;
using Navarch.Scheduler.Plugins.Helpers;

namespace Navarch.Scheduler.Plugins.InterPodAffinity;

/// <summary>
/// A pod (anti-)affinity term resolved against its owner: which namespaces (listed ones, plus those whose labels the
/// namespaceSelector matches), which labels, which topology, what weight.
/// </summary>
internal sealed record AffinityTerm(HashSet<string>? Namespaces, V1LabelSelector? NamespaceSelector, NamespaceLabels? NamespaceLabelsOf, V1LabelSelector? Selector, string TopologyKey, int Weight)
{
    /// <summary>
    /// Namespaces are the listed ones and those the namespaceSelector matches; with neither, the owner's. An empty
    /// namespaceSelector ({}) means all namespaces.
    /// </summary>
    public static AffinityTerm From(V1PodAffinityTerm term, V1Pod owner, NamespaceLabels? namespaceLabels, int weight = 1)
    {
        V1LabelSelector? nsSelector = term.NamespaceSelector;
        if (nsSelector is not null && (nsSelector.MatchLabels?.Count ?? 0) == 0 && (nsSelector.MatchExpressions?.Count ?? 0) == 0)
        {
            return new AffinityTerm(null, null, null, term.LabelSelector, term.TopologyKey, weight);
        }

        HashSet<string> namespaces = term.Namespaces is { Count: > 0 } list
            ? list.ToHashSet(StringComparer.Ordinal)
            : nsSelector is null ? [owner.Metadata.NamespaceProperty] : [];
        return new AffinityTerm(namespaces, nsSelector, namespaceLabels, term.LabelSelector, term.TopologyKey, weight);
    }

    public bool Matches(V1Pod pod) => InNamespaces(pod.Metadata.NamespaceProperty) && LabelSelectors.Matches(Selector, pod.Metadata.Labels);

    private bool InNamespaces(string ns) =>
        Namespaces is null || Namespaces.Contains(ns)
        || (NamespaceSelector is not null && NamespaceLabelsOf?.Invoke(ns) is { } labels && LabelSelectors.Matches(NamespaceSelector, labels));

    public static List<AffinityTerm> Required(IList<V1PodAffinityTerm>? terms, V1Pod owner, NamespaceLabels? namespaceLabels) =>
        terms?.Select(t => From(t, owner, namespaceLabels)).ToList() ?? [];

    public static List<AffinityTerm> Preferred(IList<V1WeightedPodAffinityTerm>? terms, V1Pod owner, NamespaceLabels? namespaceLabels) =>
        terms?.Select(t => From(t.PodAffinityTerm, owner, namespaceLabels, t.Weight)).ToList() ?? [];
}

/// <summary>The labels of a namespace by name (null when it is not known).</summary>
internal delegate IDictionary<string, string>? NamespaceLabels(string name);
