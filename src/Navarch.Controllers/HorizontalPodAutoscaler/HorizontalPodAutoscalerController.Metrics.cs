using k8s.Models;
using Navarch.Api.Selectors;

namespace Navarch.Controllers.HorizontalPodAutoscaler;

public sealed partial class HorizontalPodAutoscalerController
{
    // computeReplicasForMetrics: each metric proposes a count, the largest wins; when every metric failed, or some failed
    // and the rest would scale down, nothing is decided.
    private async Task<MetricsProposal> ComputeReplicasForMetricsAsync(V2HorizontalPodAutoscaler hpa, V2HorizontalPodAutoscalerStatus status, int current, int statusReplicas, string selectorText, CancellationToken cancellationToken)
    {
        IList<V2MetricSpec> specs = hpa.Spec.Metrics is { Count: > 0 } m ? m : [DefaultCpuMetric];
        LabelSelector selector = LabelSelector.Parse(selectorText);
        List<V1Pod> pods = _pods.Store.List(hpa.Metadata.NamespaceProperty).Where(p => selector.Matches(p.Metadata.Labels)).ToList();
        var target = new MetricTarget(hpa.Metadata.NamespaceProperty, current, statusReplicas, selectorText, pods);
        var statuses = new List<V2MetricStatus>();
        int replicas = 0;
        string metricName = "";
        int invalid = 0;
        string? firstError = null;
        foreach (V2MetricSpec spec in specs)
        {
            try
            {
                (int proposed, string name, V2MetricStatus metricStatus) = await ComputeMetricAsync(spec, target, cancellationToken).ConfigureAwait(false);
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
                // The condition and the Event carry the cause; the error that ends the sync says which metric it was.
                string cause = e.InnerException is MetricsException inner ? inner.Message : e.Message;
                string reason = spec.Type is "Resource" or "ContainerResource" or "Pods" or "Object" or "External" ? $"FailedGet{spec.Type}Metric" : "InvalidMetricSourceType";
                firstError ??= e.Message;
                _events.Event(hpa, "Warning", reason, cause);
                SetCondition(status, "ScalingActive", false, reason, $"the HPA was unable to compute the replica count: {cause}");
                statuses.Add(EmptyStatus(spec));
            }
        }

        return invalid >= specs.Count || (invalid > 0 && replicas < current)
            ? new MetricsProposal(current, metricName, statuses, $"invalid metrics ({invalid} invalid out of {specs.Count}), first error is: {firstError}")
            : new MetricsProposal(replicas, metricName, statuses, null);
    }

    // computeReplicasForMetric: one metric's proposal, the name Events and conditions call it by, and its status. A
    // MetricsException thrown carries the whole error; its inner MetricsException, when there is one, the cause the
    // condition and the Event report. An invalid Resource target is reported as it is, unwrapped, as Kubernetes does.
    private Task<(int Replicas, string Name, V2MetricStatus Status)> ComputeMetricAsync(V2MetricSpec spec, MetricTarget target, CancellationToken cancellationToken) => spec.Type switch
    {
        "Resource" or "ContainerResource" when (spec.Resource?.Target ?? spec.ContainerResource?.Target) is not { } t || (t.AverageValue is null && t.AverageUtilization is null) =>
            throw new MetricsException($"invalid {(spec.Type == "Resource" ? "resource" : "container resource")} metric source: neither a utilization target nor a value target was set"),
        "Resource" when spec.Resource is { } r => Wrapped(ComputeResourceAsync(r.Name, null, r.Target, target, cancellationToken), $"failed to get {r.Name} utilization: "),
        "ContainerResource" when spec.ContainerResource is { } c => Wrapped(ComputeResourceAsync(c.Name, c.Container, c.Target, target, cancellationToken), $"failed to get {c.Name} container metric value: "),
        "Pods" when spec.Pods is { } p => Wrapped(ComputePodsAsync(p, target, cancellationToken), "failed to get pods metric value: "),
        "Object" when spec.ObjectProperty is { } o => Wrapped(ComputeObjectAsync(o, target, cancellationToken), "failed to get object metric value: "),
        "External" when spec.External is { } x => ComputeExternalAsync(x, target, cancellationToken),
        _ => throw new MetricsException($"unknown metric source type \"{spec.Type}\""),
    };

    private async Task<(int Replicas, string Name, V2MetricStatus Status)> ComputeResourceAsync(string resource, string? container, V2MetricTarget? target, MetricTarget scale, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        IReadOnlyDictionary<string, PodMetric> metrics = await _metrics.GetPodMetricsAsync(scale.Namespace, scale.Selector, resource, container, cancellationToken).ConfigureAwait(false);
        string prefix = container is null ? $"{resource} resource" : $"{resource} container resource";
        V2MetricValueStatus value;
        ReplicaCalculation calculation;
        string name;
        if (target.AverageValue is { } averageValue)
        {
            calculation = _calculator.ForAverageValue(scale.SpecReplicas, ReplicaCalculator.MilliValue(averageValue), resource, scale.Pods, metrics);
            value = new V2MetricValueStatus { AverageValue = Milli(calculation.AverageMilliValue) };
            name = prefix;
        }
        else
        {
            calculation = _calculator.ForUtilization(scale.SpecReplicas, target.AverageUtilization!.Value, resource, container, scale.Pods, metrics);
            value = new V2MetricValueStatus { AverageValue = Milli(calculation.AverageMilliValue), AverageUtilization = calculation.Utilization };
            name = prefix + " utilization (percentage of request)";
        }

        V2MetricStatus status = container is null
            ? new V2MetricStatus { Type = "Resource", Resource = new V2ResourceMetricStatus { Name = resource, Current = value } }
            : new V2MetricStatus { Type = "ContainerResource", ContainerResource = new V2ContainerResourceMetricStatus { Name = resource, Container = container, Current = value } };
        return (calculation.Replicas, name, status);
    }

    // GetMetricReplicas: the pods' own series from the custom metrics API, averaged against an AverageValue target as
    // a plain (not utilization) metric.
    private async Task<(int Replicas, string Name, V2MetricStatus Status)> ComputePodsAsync(V2PodsMetricSource source, MetricTarget scale, CancellationToken cancellationToken)
    {
        if (source.Target?.AverageValue is not { } averageValue)
        {
            throw new MetricsException("invalid pods metric source: an average value target must be set");
        }

        string metric = source.Metric.Name;
        IReadOnlyDictionary<string, PodMetric> metrics;
        try
        {
            metrics = await _customMetrics.GetRawMetricAsync(metric, scale.Namespace, scale.Selector, SelectorText(source.Metric.Selector), cancellationToken).ConfigureAwait(false);
        }
        catch (MetricsException e)
        {
            throw new MetricsException($"unable to get metric {metric}: {e.Message}", e.InnerException);
        }

        ReplicaCalculation calculation = _calculator.ForAverageValue(scale.SpecReplicas, ReplicaCalculator.MilliValue(averageValue), "", scale.Pods, metrics);
        var status = new V2MetricStatus
        {
            Type = "Pods",
            Pods = new V2PodsMetricStatus { Metric = Identifier(source.Metric), Current = new V2MetricValueStatus { AverageValue = Milli(calculation.AverageMilliValue) } },
        };
        return (calculation.Replicas, $"pods metric {metric}", status);
    }

    // GetObjectMetricReplicas (a Value target: the ready pods scaled by value/target) or GetObjectPerPodMetricReplicas
    // (an AverageValue target: the value shared by the replicas).
    private async Task<(int Replicas, string Name, V2MetricStatus Status)> ComputeObjectAsync(V2ObjectMetricSource source, MetricTarget scale, CancellationToken cancellationToken)
    {
        string metric = source.Metric.Name;
        V2MetricTarget? target = source.Target;
        bool value = target?.Type == "Value" && target.Value is not null;
        bool average = target?.Type == "AverageValue" && target.AverageValue is not null;
        if (!value && !average)
        {
            throw new MetricsException("invalid object metric source: neither a value target nor an average value target was set");
        }

        V2CrossVersionObjectReference described = source.DescribedObject;
        long usage;
        try
        {
            (usage, _) = await _customMetrics.GetObjectMetricAsync(metric, scale.Namespace, described, SelectorText(source.Metric.Selector), cancellationToken).ConfigureAwait(false);
        }
        catch (MetricsException e)
        {
            // Kubernetes' own word order.
            var cause = new MetricsException($"unable to get metric {metric}: {described.Kind} on {scale.Namespace} {described.Name}/{e.Message}", e.InnerException);
            throw value ? cause : new MetricsException($"failed to get {metric} object metric: {cause.Message}", cause);
        }

        if (value)
        {
            int replicas = _calculator.ForUsageRatio(scale.SpecReplicas, (double)usage / ReplicaCalculator.MilliValue(target!.Value!), scale.Pods);
            var status = new V2MetricStatus
            {
                Type = "Object",
                ObjectProperty = new V2ObjectMetricStatus { DescribedObject = described, Metric = Identifier(source.Metric), Current = new V2MetricValueStatus { Value = Milli(usage) } },
            };
            return (replicas, $"{described.Kind} metric {metric}", status);
        }

        (int perPod, long averageUsage) = _calculator.ForTotalPerPod(scale.StatusReplicas, usage, ReplicaCalculator.MilliValue(target!.AverageValue!));
        var averageStatus = new V2MetricStatus
        {
            Type = "Object",
            // Kubernetes leaves the described object out of an AverageValue status (its zero value on the wire).
            ObjectProperty = new V2ObjectMetricStatus { DescribedObject = new V2CrossVersionObjectReference { Kind = "", Name = "" }, Metric = Identifier(source.Metric), Current = new V2MetricValueStatus { AverageValue = Milli(averageUsage) } },
        };
        return (perPod, $"external metric {metric}({GoSelector(source.Metric.Selector)})", averageStatus);
    }

    // GetExternalPerPodMetricReplicas (AverageValue: the series' total shared by the replicas) or
    // GetExternalMetricReplicas (Value: the ready pods scaled by total/target).
    private async Task<(int Replicas, string Name, V2MetricStatus Status)> ComputeExternalAsync(V2ExternalMetricSource source, MetricTarget scale, CancellationToken cancellationToken)
    {
        string metric = source.Metric.Name;
        V2MetricTarget? target = source.Target;
        if (target?.AverageValue is null && target?.Value is null)
        {
            throw new MetricsException("invalid external metric source: neither a value target nor an average value target was set");
        }

        bool average = target.AverageValue is not null;
        string wrap = average ? $"failed to get {metric} external metric: " : $"failed to get external metric {metric}: ";
        long total;
        try
        {
            (IReadOnlyList<long> values, _) = await _externalMetrics.GetExternalMetricAsync(metric, scale.Namespace, SelectorText(source.Metric.Selector), cancellationToken).ConfigureAwait(false);
            total = values.Sum();
        }
        catch (MetricsException e)
        {
            var cause = new MetricsException($"unable to get external metric {scale.Namespace}/{metric}/{GoSelector(source.Metric.Selector)}: {e.Message}", e.InnerException);
            throw new MetricsException(wrap + cause.Message, cause);
        }

        string name = $"external metric {metric}({GoSelector(source.Metric.Selector)})";
        if (average)
        {
            (int perPod, long averageUsage) = _calculator.ForTotalPerPod(scale.StatusReplicas, total, ReplicaCalculator.MilliValue(target.AverageValue!));
            return (perPod, name, External(source, new V2MetricValueStatus { AverageValue = Milli(averageUsage) }));
        }

        int replicas;
        try
        {
            replicas = _calculator.ForUsageRatio(scale.SpecReplicas, (double)total / ReplicaCalculator.MilliValue(target.Value!), scale.Pods);
        }
        catch (MetricsException e)
        {
            throw new MetricsException(wrap + e.Message, e);
        }

        return (replicas, name, External(source, new V2MetricValueStatus { Value = Milli(total) }));
    }

    private static V2MetricStatus External(V2ExternalMetricSource source, V2MetricValueStatus current) =>
        new() { Type = "External", External = new V2ExternalMetricStatus { Metric = Identifier(source.Metric), Current = current } };

    private static V2MetricIdentifier Identifier(V2MetricIdentifier metric) => new() { Name = metric.Name, Selector = metric.Selector };

    // The kind of metric named in front of the error; the cause stays the inner exception.
    private static async Task<(int Replicas, string Name, V2MetricStatus Status)> Wrapped(Task<(int Replicas, string Name, V2MetricStatus Status)> compute, string prefix)
    {
        try
        {
            return await compute.ConfigureAwait(false);
        }
        catch (MetricsException e)
        {
            throw new MetricsException(prefix + e.Message, e.InnerException as MetricsException ?? e);
        }
    }

    /// <summary>A metric selector as the metrics APIs' query takes it (LabelSelectorAsSelector(...).String()): empty when unset.</summary>
    private static string SelectorText(V1LabelSelector? selector) =>
        selector is null || selector.Format() is "<none>" ? "" : selector.Format();

    /// <summary>A *metav1.LabelSelector as Go's %+v prints it (its generated String()), as kube puts it into metric names.</summary>
    private static string GoSelector(V1LabelSelector? selector)
    {
        if (selector is null)
        {
            return "nil";
        }

        string labels = string.Concat((selector.MatchLabels ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}: {kv.Value},"));
        string expressions = string.Concat((selector.MatchExpressions ?? []).Select(r => $"LabelSelectorRequirement{{Key:{r.Key},Operator:{r.OperatorProperty},Values:[{string.Join(' ', r.Values ?? [])}],}},"));
        return $"&LabelSelector{{MatchLabels:map[string]string{{{labels}}},MatchExpressions:[]LabelSelectorRequirement{{{expressions}}},}}";
    }

    // The metric the API server's defaulting gives an HPA without metrics: 80 % of requested CPU.
    private static readonly V2MetricSpec DefaultCpuMetric = new()
    {
        Type = "Resource",
        Resource = new V2ResourceMetricSource { Name = "cpu", Target = new V2MetricTarget { Type = "Utilization", AverageUtilization = 80 } },
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
