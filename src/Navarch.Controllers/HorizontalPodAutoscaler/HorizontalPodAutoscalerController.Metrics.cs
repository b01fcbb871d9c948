using k8s.Models;
using Navarch.Api.Selectors;

namespace Navarch.Controllers.HorizontalPodAutoscaler;

public sealed partial class HorizontalPodAutoscalerController
{
    // computeReplicasForMetrics: each metric proposes a count, the largest wins; when every metric failed, or some failed
    // and the rest would scale down, nothing is decided.
    private async Task<MetricsProposal> ComputeReplicasForMetricsAsync(V2HorizontalPodAutoscaler hpa, V2HorizontalPodAutoscalerStatus status, int current, string selectorText, CancellationToken cancellationToken)
    {
        IList<V2MetricSpec> specs = hpa.Spec.Metrics is { Count: > 0 } m ? m : [DefaultCpuMetric];
        LabelSelector selector = LabelSelector.Parse(selectorText);
        List<V1Pod> pods = _pods.Store.List(hpa.Metadata.NamespaceProperty).Where(p => selector.Matches(p.Metadata.Labels)).ToList();
        var statuses = new List<V2MetricStatus>();
        int replicas = 0;
        string metricName = "";
        int invalid = 0;
        string? firstError = null;
        foreach (V2MetricSpec spec in specs)
        {
            try
            {
                (int proposed, string name, V2MetricStatus metricStatus) = await ComputeMetricAsync(hpa, spec, current, selectorText, pods, cancellationToken).ConfigureAwait(false);
                statuses.Add(metricStatus);
                if (proposed > replicas || metricName.Length == 0)
                {
                    replicas = proposed;
                    metricName = name;
                }
            }
            catch (MetricsException e)
            {
                invalid++;
                string reason = $"FailedGet{spec.Type}Metric";
                string message = $"failed to get {MetricLabel(spec)} value: {e.Message}";
                firstError ??= message;
                _events.Event(hpa, "Warning", reason, message);
                SetCondition(status, "ScalingActive", false, reason, $"the HPA was unable to compute the replica count: {message}");
                statuses.Add(EmptyStatus(spec));
            }
        }

        return invalid >= specs.Count || (invalid > 0 && replicas < current)
            ? new MetricsProposal(current, metricName, statuses, $"invalid metrics ({invalid} invalid out of {specs.Count}), first error is: {firstError}")
            : new MetricsProposal(replicas, metricName, statuses, null);
    }

    private async Task<(int Replicas, string Name, V2MetricStatus Status)> ComputeMetricAsync(V2HorizontalPodAutoscaler hpa, V2MetricSpec spec, int current, string selector, List<V1Pod> pods, CancellationToken cancellationToken)
    {
        (string resource, string? container, V2MetricTarget? target) = spec.Type switch
        {
            "Resource" when spec.Resource is { } r => (r.Name, (string?)null, r.Target),
            "ContainerResource" when spec.ContainerResource is { } c => (c.Name, c.Container, c.Target),
            "Pods" or "Object" or "External" => throw new MetricsException($"the {(spec.Type == "External" ? "external" : "custom")} metrics API (a {spec.Type} metric) is not served by this cluster"),
            _ => throw new MetricsException($"unknown metric source type \"{spec.Type}\""),
        };
        if (target is null || (target.AverageValue is null && target.AverageUtilization is null))
        {
            throw new MetricsException($"invalid {spec.Type} metric source: neither a utilization target nor a value target was set");
        }

        IReadOnlyDictionary<string, PodMetric> metrics = await _metrics.GetPodMetricsAsync(hpa.Metadata.NamespaceProperty, selector, resource, container, cancellationToken).ConfigureAwait(false);
        string prefix = container is null ? $"{resource} resource" : $"{resource} container resource";
        V2MetricValueStatus value;
        ReplicaCalculation calculation;
        string name;
        if (target.AverageValue is { } averageValue)
        {
            calculation = _calculator.ForAverageValue(current, ReplicaCalculator.MilliValue(averageValue), resource, pods, metrics);
            value = new V2MetricValueStatus { AverageValue = Milli(calculation.AverageMilliValue) };
            name = prefix;
        }
        else
        {
            calculation = _calculator.ForUtilization(current, target.AverageUtilization!.Value, resource, container, pods, metrics);
            value = new V2MetricValueStatus { AverageValue = Milli(calculation.AverageMilliValue), AverageUtilization = calculation.Utilization };
            name = prefix + " utilization (percentage of request)";
        }

        V2MetricStatus status = container is null
            ? new V2MetricStatus { Type = "Resource", Resource = new V2ResourceMetricStatus { Name = resource, Current = value } }
            : new V2MetricStatus { Type = "ContainerResource", ContainerResource = new V2ContainerResourceMetricStatus { Name = resource, Container = container, Current = value } };
        return (calculation.Replicas, name, status);
    }

    // The metric the API server's defaulting gives an HPA without metrics: 80 % of requested CPU.
    private static readonly V2MetricSpec DefaultCpuMetric = new()
    {
        Type = "Resource",
        Resource = new V2ResourceMetricSource { Name = "cpu", Target = new V2MetricTarget { Type = "Utilization", AverageUtilization = 80 } },
    };

    private static string MetricLabel(V2MetricSpec spec) => spec.Type switch
    {
        "Resource" => $"{spec.Resource?.Name} resource metric",
        "ContainerResource" => $"{spec.ContainerResource?.Name} container resource metric",
        _ => $"{spec.Type} metric",
    };

    private static V2MetricStatus EmptyStatus(V2MetricSpec spec) => spec.Type switch
    {
        "Resource" when spec.Resource is { } r => new V2MetricStatus { Type = "Resource", Resource = new V2ResourceMetricStatus { Name = r.Name, Current = new V2MetricValueStatus() } },
        "ContainerResource" when spec.ContainerResource is { } c => new V2MetricStatus { Type = "ContainerResource", ContainerResource = new V2ContainerResourceMetricStatus { Name = c.Name, Container = c.Container, Current = new V2MetricValueStatus() } },
        _ => new V2MetricStatus { Type = spec.Type },
    };

    // resource.NewMilliQuantity(v, DecimalSI): whole units without a suffix, else millis.
    private static ResourceQuantity Milli(long milli) => new(milli % 1000 == 0 ? (milli / 1000).ToString(System.Globalization.CultureInfo.InvariantCulture) : milli.ToString(System.Globalization.CultureInfo.InvariantCulture) + "m");
}
