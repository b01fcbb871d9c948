using k8s.Models;

namespace Navarch.Api.Selectors;

/// <summary>Kubernetes' helpers for a <c>metav1.LabelSelector</c> (matchLabels and matchExpressions).</summary>
public static class LabelSelectorExtensions
{
    /// <summary>Whether the selector selects <paramref name="labels"/>.</summary>
    public static bool Matches(this V1LabelSelector selector, IDictionary<string, string>? labels) =>
        LabelSelector.From(selector).Matches(labels);

    /// <summary>The selector as kubectl prints it (<c>FormatLabelSelector</c>): <c>app=web,tier in (a,b)</c>, or &lt;none&gt;.</summary>
    public static string Format(this V1LabelSelector selector)
    {
        var parts = (selector.MatchLabels ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}").ToList();
        foreach (V1LabelSelectorRequirement r in selector.MatchExpressions ?? [])
        {
            parts.Add(r.OperatorProperty switch
            {
                "In" => $"{r.Key} in ({string.Join(",", r.Values ?? [])})",
                "NotIn" => $"{r.Key} notin ({string.Join(",", r.Values ?? [])})",
                "Exists" => r.Key,
                _ => "!" + r.Key,
            });
        }

        return parts.Count == 0 ? "<none>" : string.Join(",", parts);
    }
}
