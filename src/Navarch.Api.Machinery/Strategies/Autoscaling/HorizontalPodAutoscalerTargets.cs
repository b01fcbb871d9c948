using System.Globalization;
using k8s.Models;

namespace Navarch.Api.Strategies.Autoscaling;

/// <summary>
/// The TARGETS cell of <c>kubectl get hpa</c> (Kubernetes' formatHPAMetrics): per metric spec its current value from
/// the status at the same position and its target — <c>cpu: 73%/50%</c>, <c>memory: 12Mi/100Mi</c> — the first two,
/// then <c>+ N more...</c>.
/// </summary>
internal static class HorizontalPodAutoscalerTargets
{
    private const string Unknown = "<unknown>";
    private const int Shown = 2;

    public static string Format(IList<V2MetricSpec>? specs, IList<V2MetricStatus>? statuses)
    {
        if (specs is not { Count: > 0 })
        {
            return "<none>";
        }

        var cells = new List<string>();
        for (int i = 0; i < specs.Count; i++)
        {
            V2MetricSpec spec = specs[i];
            V2MetricStatus? status = statuses is not null && statuses.Count > i ? statuses[i] : null;
            cells.Add(spec.Type switch
            {
                "Resource" => Resource(spec.Resource?.Name, spec.Resource?.Target, status?.Resource?.Current),
                "ContainerResource" => Resource(spec.ContainerResource?.Name, spec.ContainerResource?.Target, status?.ContainerResource?.Current),
                "Pods" => $"{status?.Pods?.Current?.AverageValue?.ToString() ?? Unknown}/{spec.Pods?.Target?.AverageValue}",
                "Object" => Value(spec.ObjectProperty?.Target, status?.ObjectProperty?.Current),
                "External" => Value(spec.External?.Target, status?.External?.Current),
                _ => "<unknown type>",
            });
        }

        string shown = string.Join(", ", cells.Take(Shown));
        return cells.Count > Shown ? string.Create(CultureInfo.InvariantCulture, $"{shown} + {cells.Count - Shown} more...") : shown;
    }

    private static string Resource(string? name, V2MetricTarget? target, V2MetricValueStatus? current)
    {
        if (target?.AverageValue is { } averageValue)
        {
            return $"{name}: {current?.AverageValue?.ToString() ?? Unknown}/{averageValue}";
        }

        string now = current?.AverageUtilization is { } u ? string.Create(CultureInfo.InvariantCulture, $"{u}%") : Unknown;
        string goal = target?.AverageUtilization is { } t ? string.Create(CultureInfo.InvariantCulture, $"{t}%") : "<auto>";
        return $"{name}: {now}/{goal}";
    }

    private static string Value(V2MetricTarget? target, V2MetricValueStatus? current) =>
        target?.AverageValue is { } average
            ? $"{current?.AverageValue?.ToString() ?? Unknown}/{average} (avg)"
            : $"{current?.Value?.ToString() ?? Unknown}/{target?.Value}";
}
