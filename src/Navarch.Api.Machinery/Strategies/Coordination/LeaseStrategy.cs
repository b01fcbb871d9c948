using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Coordination;

/// <summary>coordination.k8s.io/v1 Lease.</summary>
internal static class LeaseStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1Lease> Create() => new()
    {
        Validation = Validate,
        Columns = [new("Holder", "string", "", "Holder of the lease"), TableColumn.AgeColumn],
        Cells = (l, now) => [l.Spec?.HolderIdentity ?? "", Age.Of(l.Metadata.CreationTimestamp, now)],
    };

    /// <summary>ValidateLeaseSpec: a positive duration, a transition count that is not negative.</summary>
    private static IEnumerable<FieldError> Validate(V1Lease l)
    {
        if (l.Spec?.LeaseDurationSeconds is { } duration && duration <= 0)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.leaseDurationSeconds", duration, "must be greater than 0");
        }

        if (l.Spec?.LeaseTransitions is { } transitions && FieldValidation.NonNegative("spec.leaseTransitions", transitions) is { } error)
        {
            yield return error;
        }
    }
}
