using System.Globalization;
using k8s.Models;

namespace Navarch.Controllers.DaemonSet;

/// <summary>
/// What makes a pod a daemon pod on one node, as Kubernetes' daemon controller does it: the tolerations it adds, the
/// node affinity that pins the pod to its node, and the predicates deciding whether a node should run it.
/// </summary>
internal static class DaemonPods
{
    private static readonly (string Key, string Effect)[] DefaultTolerations =
    [
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];

    /// <summary>Adds the tolerations every daemon pod gets (and network-unavailable for hostNetwork pods) to <paramref name="spec"/>.</summary>
    public static void AddTolerations(V1PodSpec spec)
    {
        spec.Tolerations ??= [];
        IEnumerable<(string Key, string Effect)> wanted = spec.HostNetwork == true
            ? DefaultTolerations.Append(("node.kubernetes.io/network-unavailable", "NoSchedule"))
            : DefaultTolerations;
        foreach ((string key, string effect) in wanted)
        {
            var toleration = new V1Toleration { Key = key, OperatorProperty = "Exists", Effect = effect };
            int same = FindIndex(spec.Tolerations, t => t.Key == key && t.Effect == effect);
            if (same >= 0)
            {
                spec.Tolerations[same] = toleration;
            }
            else
            {
                spec.Tolerations.Add(toleration);
            }
        }
    }

    /// <summary>Pins a pod to <paramref name="nodeName"/> with required node affinity, replacing any required terms.</summary>
    public static void PinToNode(V1PodSpec spec, string nodeName)
    {
        var selector = new V1NodeSelector
        {
            NodeSelectorTerms =
            [
                new V1NodeSelectorTerm { MatchFields = [new V1NodeSelectorRequirement { Key = "metadata.name", OperatorProperty = "In", Values = [nodeName] }] },
            ],
        };
        spec.Affinity ??= new V1Affinity();
        spec.Affinity.NodeAffinity ??= new V1NodeAffinity();
        spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = selector;
    }

    /// <summary>The node a daemon pod is for: its nodeName once bound, else the node its affinity pins it to.</summary>
    public static string? TargetNode(V1Pod pod)
    {
        if (!string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            return pod.Spec.NodeName;
        }

        IList<V1NodeSelectorTerm>? terms = pod.Spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms;
        if (terms is null)
        {
            return null;
        }

        foreach (V1NodeSelectorTerm term in terms)
        {
            foreach (V1NodeSelectorRequirement r in term.MatchFields ?? [])
            {
                if (r.Key == "metadata.name" && r.OperatorProperty == "In" && r.Values is { Count: 1 })
                {
                    return r.Values[0];
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Kubernetes' NodeShouldRunDaemonPod: whether a new daemon pod belongs on <paramref name="node"/>, and whether
    /// one already there may stay (only untolerated NoExecute taints evict).
    /// </summary>
    public static (bool ShouldRun, bool ShouldContinueRunning) Evaluate(V1Node node, V1PodSpec spec)
    {
        if (!string.IsNullOrEmpty(spec.NodeName) && spec.NodeName != node.Metadata.Name)
        {
            return (false, false);
        }

        if (!Fits(node, spec))
        {
            return (false, false);
        }

        IList<V1Toleration> tolerations = spec.Tolerations ?? [];
        IList<V1Taint> taints = node.Spec?.Taints ?? [];
        bool noExecuteTolerated = taints.Where(t => t.Effect == "NoExecute").All(t => tolerations.Any(x => Tolerates(x, t)));
        bool noScheduleTolerated = taints.Where(t => t.Effect == "NoSchedule").All(t => tolerations.Any(x => Tolerates(x, t)));
        return (noExecuteTolerated && noScheduleTolerated, noExecuteTolerated);
    }

    /// <summary>The nodeSelector and the required node affinity.</summary>
    private static bool Fits(V1Node node, V1PodSpec spec)
    {
        IDictionary<string, string> labels = node.Metadata.Labels ?? new Dictionary<string, string>();
        foreach ((string key, string value) in spec.NodeSelector ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out string? have) || have != value)
            {
                return false;
            }
        }

        IList<V1NodeSelectorTerm>? terms = spec.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms;
        return terms is null || terms.Any(term => TermMatches(term, node, labels));
    }

    private static bool TermMatches(V1NodeSelectorTerm term, V1Node node, IDictionary<string, string> labels)
    {
        if ((term.MatchExpressions?.Count ?? 0) == 0 && (term.MatchFields?.Count ?? 0) == 0)
        {
            return false;
        }

        var fields = new Dictionary<string, string> { ["metadata.name"] = node.Metadata.Name };
        return (term.MatchExpressions ?? []).All(r => RequirementMatches(r, labels))
            && (term.MatchFields ?? []).All(r => r.Key == "metadata.name" && r.OperatorProperty is "In" or "NotIn" && RequirementMatches(r, fields));
    }

    private static bool RequirementMatches(V1NodeSelectorRequirement r, IDictionary<string, string> labels)
    {
        bool has = labels.TryGetValue(r.Key, out string? value);
        IList<string> values = r.Values ?? [];
        return r.OperatorProperty switch
        {
            "In" => has && values.Contains(value!),
            "NotIn" => !has || !values.Contains(value!),
            "Exists" => has,
            "DoesNotExist" => !has,
            "Gt" => has && values.Count == 1 && Compare(value!, values[0]) is > 0,
            "Lt" => has && values.Count == 1 && Compare(value!, values[0]) is < 0,
            _ => false,
        };
    }

    private static int? Compare(string have, string want) =>
        long.TryParse(have, NumberStyles.Integer, CultureInfo.InvariantCulture, out long a) && long.TryParse(want, NumberStyles.Integer, CultureInfo.InvariantCulture, out long b)
            ? a.CompareTo(b)
            : null;

    /// <summary>Kubernetes' Toleration.ToleratesTaint.</summary>
    private static bool Tolerates(V1Toleration toleration, V1Taint taint)
    {
        if (!string.IsNullOrEmpty(toleration.Effect) && toleration.Effect != taint.Effect)
        {
            return false;
        }

        if (!string.IsNullOrEmpty(toleration.Key) && toleration.Key != taint.Key)
        {
            return false;
        }

        return toleration.OperatorProperty switch
        {
            "Exists" => true,
            null or "" or "Equal" => !string.IsNullOrEmpty(toleration.Key) && (toleration.Value ?? "") == (taint.Value ?? ""),
            _ => false,
        };
    }

    private static int FindIndex(IList<V1Toleration> list, Func<V1Toleration, bool> match)
    {
        for (int i = 0; i < list.Count; i++)
        {
            if (match(list[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
