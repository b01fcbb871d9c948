using k8s.Models;

namespace Navarch.Api.Strategies.Policy;

/// <summary>policy/v1 PodDisruptionBudget.</summary>
internal static class PodDisruptionBudgetStrategy
{
    /// <summary>The strategy: minAvailable or maxUnavailable, not both.</summary>
    public static ResourceStrategy<V1PodDisruptionBudget> Create() => new()
    {
        HasStatus = true,
        Validation = p => p.Spec?.MinAvailable is not null && p.Spec.MaxUnavailable is not null
            ? [new FieldError(FieldErrorType.Invalid, "spec", p.Spec.ToString(), "minAvailable and maxUnavailable cannot be both set")]
            : [],
        Columns =
        [
            new("Min Available", "string", "", "The minimum number of pods that must be available."),
            new("Max Unavailable", "string", "", "The maximum number of pods that may be unavailable."),
            new("Allowed Disruptions", "integer", "", "Calculated number of pods that may be disrupted at this time."),
            TableColumn.AgeColumn,
        ],
        Cells = (p, now) =>
        [
            p.Spec?.MinAvailable?.Value ?? "N/A", p.Spec?.MaxUnavailable?.Value ?? "N/A", p.Status?.DisruptionsAllowed ?? 0,
            Age.Of(p.Metadata.CreationTimestamp, now),
        ],
    };
}
