using Navarch.Scheduler.Framework;

namespace Navarch.Scheduler;

/// <summary>One cycle's outcome: the chosen node, or why none (an error, or per-node rejections).</summary>
internal sealed record ScheduleResult(string? NodeName, int EvaluatedNodes, int FeasibleNodes, IReadOnlyDictionary<string, Status> Failures, Status? Error, int TotalNodes)
{
    /// <summary>Kubernetes' FitError text: "0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu."</summary>
    public string FitMessage()
    {
        var histogram = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Status s in Failures.Values)
        {
            foreach (string reason in s.Reasons)
            {
                histogram[reason] = histogram.GetValueOrDefault(reason) + 1;
            }
        }

        var parts = histogram.Select(kv => $"{kv.Value} {kv.Key}").ToList();
        parts.Sort(StringComparer.Ordinal);
        return parts.Count == 0 ? $"0/{TotalNodes} nodes are available." : $"0/{TotalNodes} nodes are available: {string.Join(", ", parts)}.";
    }
}
