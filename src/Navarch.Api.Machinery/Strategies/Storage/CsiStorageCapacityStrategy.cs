using k8s.Models;
using Navarch.Api.Quantities;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Storage;

/// <summary>storage.k8s.io/v1 CSIStorageCapacity: how much a driver can provision for a class in a topology segment.</summary>
internal static class CsiStorageCapacityStrategy
{
    /// <summary>The strategy: a valid storage class name and non-negative capacities.</summary>
    public static ResourceStrategy<V1CSIStorageCapacity> Create() => new()
    {
        Validation = Validate,
        Columns =
        [
            new("StorageClassName", "string", "", "storageClassName represents the name of the StorageClass that the reported capacity applies to."),
            new("Capacity", "string", "", "capacity is the value reported by the CSI driver in its GetCapacityResponse."),
            TableColumn.AgeColumn,
        ],
        Cells = (c, now) => [c.StorageClassName, c.Capacity is { } q ? ResourceQuantities.Text(q) : "", Age.Of(c.Metadata.CreationTimestamp, now)],
    };

    private static IEnumerable<FieldError> Validate(V1CSIStorageCapacity capacity)
    {
        if (string.IsNullOrEmpty(capacity.StorageClassName))
        {
            yield return new FieldError(FieldErrorType.Required, "storageClassName", null, "");
        }
        else
        {
            foreach (string problem in MetadataValidation.NameProblems(capacity.StorageClassName, NameRule.Subdomain))
            {
                yield return new FieldError(FieldErrorType.Invalid, "storageClassName", capacity.StorageClassName, problem);
            }
        }

        if (capacity.Capacity?.ToQuantity() is { Sign: < 0 } negative)
        {
            yield return new FieldError(FieldErrorType.Invalid, "capacity", negative.ToString(), "must be greater than or equal to 0");
        }

        if (capacity.MaximumVolumeSize?.ToQuantity() is { Sign: < 0 } negativeMax)
        {
            yield return new FieldError(FieldErrorType.Invalid, "maximumVolumeSize", negativeMax.ToString(), "must be greater than or equal to 0");
        }
    }
}
