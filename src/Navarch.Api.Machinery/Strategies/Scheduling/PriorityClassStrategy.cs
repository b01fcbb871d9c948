using k8s.Models;

namespace Navarch.Api.Strategies.Scheduling;

/// <summary>scheduling.k8s.io/v1 PriorityClass.</summary>
internal static class PriorityClassStrategy
{
    /// <summary>The strategy: user-defined values up to 10^9, fixed once created.</summary>
    public static ResourceStrategy<V1PriorityClass> Create() => new()
    {
        Defaults = p => p.PreemptionPolicy ??= "PreemptLowerPriority",
        Validation = p => p.Value > 1_000_000_000 && !p.Metadata.Name.StartsWith("system-", StringComparison.Ordinal)
            ? [new FieldError(FieldErrorType.Forbidden, "value", null, "maximum allowed value of a user defined priority is 1000000000")]
            : [],
        UpdateValidation = (p, old) => p.Value == old.Value ? [] : [new FieldError(FieldErrorType.Forbidden, "value", null, "may not be changed in an update.")],
        Columns =
        [
            new("Value", "integer", "", "The value of this priority class."),
            new("Global-Default", "boolean", "", "globalDefault specifies whether this PriorityClass should be considered as the default priority."),
            TableColumn.AgeColumn,
            new("PreemptionPolicy", "string", "", "PreemptionPolicy is the Policy for preempting pods with lower priority."),
        ],
        Cells = (p, now) => [p.Value, p.GlobalDefault ?? false, Age.Of(p.Metadata.CreationTimestamp, now), p.PreemptionPolicy],
    };
}
