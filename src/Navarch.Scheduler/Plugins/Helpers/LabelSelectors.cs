using System.Globalization;
using k8s.Models;

namespace Navarch.Scheduler.Plugins.Helpers;

/// <summary>Label selector and node selector term matching, as apimachinery's labels package and the node affinity helper do.</summary>
internal static class LabelSelectors
{
    /// <summary>A null selector matches nothing; an empty one matches everything.</summary>
    public static bool Matches(V1LabelSelector? selector, IDictionary<string, string>? labels)
    {
        if (selector is null)
        {
            return false;
        }

        labels ??= new Dictionary<string, string>();
        foreach (KeyValuePair<string, string> kv in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(kv.Key, out string? v) || v != kv.Value)
            {
                return false;
            }
        }

        foreach (V1LabelSelectorRequirement r in selector.MatchExpressions ?? [])
        {
            if (!Requirement(r.OperatorProperty, labels.TryGetValue(r.Key, out string? v), v, r.Values))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One requirement: In, NotIn, Exists, DoesNotExist, Gt, Lt.</summary>
    public static bool Requirement(string op, bool present, string? value, IList<string>? values) => op switch
    {
        "In" => present && (values?.Contains(value!) ?? false),
        "NotIn" => !present || !(values?.Contains(value!) ?? false),
        "Exists" => present,
        "DoesNotExist" => !present,
        "Gt" => present && Compare(value!, values) is { } c && c > 0,
        "Lt" => present && Compare(value!, values) is { } c2 && c2 < 0,
        _ => false,
    };

    private static int? Compare(string value, IList<string>? values)
    {
        if (values is not { Count: 1 } || !long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v)
            || !long.TryParse(values[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long bound))
        {
            return null;
        }

        return v.CompareTo(bound);
    }

    /// <summary>Terms are ORed; a term's expressions and fields are ANDed; an empty term matches nothing.</summary>
    public static bool MatchesAnyTerm(IList<V1NodeSelectorTerm>? terms, V1Node node) =>
        terms is not null && terms.Any(t => MatchesTerm(t, node));

    public static bool MatchesTerm(V1NodeSelectorTerm term, V1Node node)
    {
        if (term.MatchExpressions is not { Count: > 0 } && term.MatchFields is not { Count: > 0 })
        {
            return false;
        }

        IDictionary<string, string> labels = node.Metadata.Labels ?? new Dictionary<string, string>();
        foreach (V1NodeSelectorRequirement r in term.MatchExpressions ?? [])
        {
            if (!Requirement(r.OperatorProperty, labels.TryGetValue(r.Key, out string? v), v, r.Values))
            {
                return false;
            }
        }

        foreach (V1NodeSelectorRequirement r in term.MatchFields ?? [])
        {
            // Only metadata.name is a supported field.
            if (r.Key != "metadata.name" || !Requirement(r.OperatorProperty, true, node.Metadata.Name, r.Values))
            {
                return false;
            }
        }

        return true;
    }
}
