using k8s.Models;
using Navarch.Client.Informers;
using Navarch.Scheduler.Plugins.Helpers;

namespace Navarch.Scheduler.Plugins.PodTopologySpread;

/// <summary>
/// The selector the system default spread constraints use, as Kubernetes' DefaultSelector builds it: the selectors of
/// the Services, ReplicaSets and StatefulSets in the pod's namespace that select the pod, merged into one (Kubernetes
/// also reads ReplicationControllers, which this API server does not serve). A pod that none of them selects gets no
/// default spreading.
/// </summary>
internal sealed class DefaultSpreadSelector(Indexer<V1Service> services, Indexer<V1ReplicaSet> replicaSets, Indexer<V1StatefulSet> statefulSets)
{
    public V1LabelSelector? For(V1Pod pod) => Build(
        pod,
        services.List(pod.Metadata.NamespaceProperty).Select(s => s.Spec?.Selector),
        replicaSets.List(pod.Metadata.NamespaceProperty).Select(r => r.Spec?.Selector)
            .Concat(statefulSets.List(pod.Metadata.NamespaceProperty).Select(s => s.Spec?.Selector)));

    /// <summary>Merges the map selectors (Services) and the label selectors (ReplicaSets, StatefulSets) that select the pod.</summary>
    public static V1LabelSelector? Build(V1Pod pod, IEnumerable<IDictionary<string, string>?> mapSelectors, IEnumerable<V1LabelSelector?> labelSelectors)
    {
        IDictionary<string, string> labels = pod.Metadata.Labels ?? new Dictionary<string, string>();
        var matchLabels = new Dictionary<string, string>(StringComparer.Ordinal);
        var expressions = new List<V1LabelSelectorRequirement>();
        foreach (IDictionary<string, string>? map in mapSelectors)
        {
            // An empty map selector selects nothing (a Service without a selector has no pods).
            if (map is { Count: > 0 } && map.All(kv => labels.TryGetValue(kv.Key, out string? v) && v == kv.Value))
            {
                foreach (KeyValuePair<string, string> kv in map)
                {
                    matchLabels[kv.Key] = kv.Value;
                }
            }
        }

        foreach (V1LabelSelector? selector in labelSelectors)
        {
            if (selector is null || (selector.MatchLabels is not { Count: > 0 } && selector.MatchExpressions is not { Count: > 0 })
                || !LabelSelectors.Matches(selector, labels))
            {
                continue;
            }

            foreach (KeyValuePair<string, string> kv in selector.MatchLabels ?? new Dictionary<string, string>())
            {
                matchLabels[kv.Key] = kv.Value;
            }

            expressions.AddRange(selector.MatchExpressions ?? []);
        }

        return matchLabels.Count == 0 && expressions.Count == 0
            ? null
            : new V1LabelSelector { MatchLabels = matchLabels, MatchExpressions = expressions.Count == 0 ? null : expressions };
    }
}
