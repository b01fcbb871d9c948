using System.Globalization;
using k8s.Models;

namespace Navarch.Api.Strategies.Autoscaling;

/// <summary>autoscaling/v2 HorizontalPodAutoscaler.</summary>
internal static class HorizontalPodAutoscalerStrategy
{
    /// <summary>The strategy: maxReplicas at least 1 and at least minReplicas.</summary>
    public static ResourceStrategy<V2HorizontalPodAutoscaler> Create() => new()
    {
        HasStatus = true,
        Validation = h => h.Spec is null || h.Spec.MaxReplicas < 1
            ? [new FieldError(FieldErrorType.Invalid, "spec.maxReplicas", h.Spec?.MaxReplicas ?? 0, "must be greater than or equal to 1")]
            : h.Spec.MinReplicas is { } min && min > h.Spec.MaxReplicas
                ? [new FieldError(FieldErrorType.Invalid, "spec.maxReplicas", h.Spec.MaxReplicas, "must be greater than or equal to `minReplicas`")]
                : [],
        Columns =
        [
            new("Reference", "string", "", "The identifier for the scaled resource."),
            new("Targets", "string", "", "The current and target metric values."),
            new("MinPods", "string", "", "Lower limit for the number of pods."),
            new("MaxPods", "integer", "", "Upper limit for the number of pods."),
            new("Replicas", "integer", "", "Current number of replicas."),
            TableColumn.AgeColumn,
        ],
        Cells = (h, now) =>
        [
            $"{h.Spec?.ScaleTargetRef?.Kind}/{h.Spec?.ScaleTargetRef?.Name}",
            HorizontalPodAutoscalerTargets.Format(h.Spec?.Metrics, h.Status?.CurrentMetrics),
            h.Spec?.MinReplicas?.ToString(CultureInfo.InvariantCulture) ?? "<unset>", h.Spec?.MaxReplicas ?? 0, h.Status?.CurrentReplicas ?? 0,
            Age.Of(h.Metadata.CreationTimestamp, now),
        ],
    };
}
