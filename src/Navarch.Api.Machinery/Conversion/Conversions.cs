using k8s.Models;

namespace Navarch.Api.Conversion;

/// <summary>The conversions between served and stored versions, field for field as Kubernetes maps them.</summary>
public static class Conversions
{
    /// <summary>events.k8s.io/v1 Event ⇄ core/v1 Event (the storage version).</summary>
    public static IVersionConverter Events { get; } = new VersionConverter<Eventsv1Event, Corev1Event>(
        e => new Corev1Event
        {
            ApiVersion = "v1",
            Kind = "Event",
            Metadata = e.Metadata,
            EventTime = e.EventTime,
            Series = e.Series is null ? null : new Corev1EventSeries { Count = e.Series.Count, LastObservedTime = e.Series.LastObservedTime },
            ReportingComponent = e.ReportingController,
            ReportingInstance = e.ReportingInstance,
            Action = e.Action,
            Reason = e.Reason,
            InvolvedObject = e.Regarding ?? new V1ObjectReference(),
            Related = e.Related,
            Message = e.Note,
            Type = e.Type,
            Source = e.DeprecatedSource,
            FirstTimestamp = e.DeprecatedFirstTimestamp,
            LastTimestamp = e.DeprecatedLastTimestamp,
            Count = e.DeprecatedCount,
        },
        c => new Eventsv1Event
        {
            ApiVersion = "events.k8s.io/v1",
            Kind = "Event",
            Metadata = c.Metadata,
            EventTime = c.EventTime,
            Series = c.Series is null ? null : new Eventsv1EventSeries { Count = c.Series.Count ?? 0, LastObservedTime = c.Series.LastObservedTime ?? default },
            ReportingController = c.ReportingComponent,
            ReportingInstance = c.ReportingInstance,
            Action = c.Action,
            Reason = c.Reason,
            Regarding = c.InvolvedObject,
            Related = c.Related,
            Note = c.Message,
            Type = c.Type,
            DeprecatedSource = c.Source,
            DeprecatedFirstTimestamp = c.FirstTimestamp,
            DeprecatedLastTimestamp = c.LastTimestamp,
            DeprecatedCount = c.Count,
        });

    /// <summary>autoscaling/v1 HorizontalPodAutoscaler ⇄ autoscaling/v2 (the storage version): the CPU target is a Resource metric.</summary>
    public static IVersionConverter HorizontalPodAutoscalers { get; } = new VersionConverter<V1HorizontalPodAutoscaler, V2HorizontalPodAutoscaler>(
        h => new V2HorizontalPodAutoscaler
        {
            ApiVersion = "autoscaling/v2",
            Kind = "HorizontalPodAutoscaler",
            Metadata = h.Metadata,
            Spec = h.Spec is null ? null : new V2HorizontalPodAutoscalerSpec
            {
                ScaleTargetRef = new V2CrossVersionObjectReference { ApiVersion = h.Spec.ScaleTargetRef?.ApiVersion, Kind = h.Spec.ScaleTargetRef?.Kind, Name = h.Spec.ScaleTargetRef?.Name },
                MinReplicas = h.Spec.MinReplicas,
                MaxReplicas = h.Spec.MaxReplicas,
                Metrics = h.Spec.TargetCPUUtilizationPercentage is { } cpu
                    ? [new V2MetricSpec { Type = "Resource", Resource = new V2ResourceMetricSource { Name = "cpu", Target = new V2MetricTarget { Type = "Utilization", AverageUtilization = cpu } } }]
                    : null,
            },
            Status = h.Status is null ? null : new V2HorizontalPodAutoscalerStatus
            {
                ObservedGeneration = h.Status.ObservedGeneration,
                LastScaleTime = h.Status.LastScaleTime,
                CurrentReplicas = h.Status.CurrentReplicas,
                DesiredReplicas = h.Status.DesiredReplicas,
                CurrentMetrics = h.Status.CurrentCPUUtilizationPercentage is { } current
                    ? [new V2MetricStatus { Type = "Resource", Resource = new V2ResourceMetricStatus { Name = "cpu", Current = new V2MetricValueStatus { AverageUtilization = current } } }]
                    : null,
            },
        },
        h => new V1HorizontalPodAutoscaler
        {
            ApiVersion = "autoscaling/v1",
            Kind = "HorizontalPodAutoscaler",
            Metadata = h.Metadata,
            Spec = h.Spec is null ? null : new V1HorizontalPodAutoscalerSpec
            {
                ScaleTargetRef = new V1CrossVersionObjectReference { ApiVersion = h.Spec.ScaleTargetRef?.ApiVersion, Kind = h.Spec.ScaleTargetRef?.Kind, Name = h.Spec.ScaleTargetRef?.Name },
                MinReplicas = h.Spec.MinReplicas,
                MaxReplicas = h.Spec.MaxReplicas,
                TargetCPUUtilizationPercentage = h.Spec.Metrics?.FirstOrDefault(m => m.Type == "Resource" && m.Resource?.Name == "cpu")?.Resource?.Target?.AverageUtilization,
            },
            Status = h.Status is null ? null : new V1HorizontalPodAutoscalerStatus
            {
                ObservedGeneration = h.Status.ObservedGeneration,
                LastScaleTime = h.Status.LastScaleTime,
                CurrentReplicas = h.Status.CurrentReplicas ?? 0,
                DesiredReplicas = h.Status.DesiredReplicas,
                CurrentCPUUtilizationPercentage = h.Status.CurrentMetrics?.FirstOrDefault(m => m.Type == "Resource" && m.Resource?.Name == "cpu")?.Resource?.Current?.AverageUtilization,
            },
        });
}
