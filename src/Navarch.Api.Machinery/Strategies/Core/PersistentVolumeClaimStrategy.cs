using k8s.Models;
using Navarch.Api.Quantities;

namespace Navarch.Api.Strategies.Core;

/// <summary>core/v1 PersistentVolumeClaim.</summary>
internal static class PersistentVolumeClaimStrategy
{
    /// <summary>The strategy: at least one access mode.</summary>
    public static ResourceStrategy<V1PersistentVolumeClaim> Create() => new()
    {
        HasStatus = true,
        Defaults = c =>
        {
            c.Spec ??= new V1PersistentVolumeClaimSpec();
            c.Spec.VolumeMode ??= "Filesystem";
            c.Status ??= new V1PersistentVolumeClaimStatus();
            c.Status.Phase ??= "Pending";
        },
        Validation = Validate,
        Columns =
        [
            new("Status", "string", "", "Phase represents the current phase of PersistentVolumeClaim."),
            new("Volume", "string", "", "VolumeName is the binding reference to the PersistentVolume backing this claim."),
            new("Capacity", "string", "", "Capacity represents the actual resources of the underlying volume."),
            new("Access Modes", "string", "", "AccessModes contains the desired access modes the volume should have."),
            new("StorageClass", "string", "", "StorageClassName is the name of the StorageClass required by the claim."),
            TableColumn.AgeColumn,
        ],
        Cells = (c, now) =>
        [
            c.Status?.Phase ?? "Pending", c.Spec?.VolumeName ?? "",
            c.Status?.Capacity is { } cap && cap.TryGetValue("storage", out ResourceQuantity? q) ? ResourceQuantities.Text(q) : "",
            AccessModes(c.Spec?.AccessModes), c.Spec?.StorageClassName ?? "<unset>", Age.Of(c.Metadata.CreationTimestamp, now),
        ],
    };

    private static string AccessModes(IList<string>? modes) =>
        string.Join(",", (modes ?? []).Select(m => m switch { "ReadWriteOnce" => "RWO", "ReadOnlyMany" => "ROX", "ReadWriteMany" => "RWX", "ReadWriteOncePod" => "RWOP", _ => m }));

    /// <summary>ValidatePersistentVolumeClaimSpec: at least one access mode, and a storage request greater than zero when given.</summary>
    private static IEnumerable<FieldError> Validate(V1PersistentVolumeClaim claim)
    {
        if (claim.Spec?.AccessModes is not { Count: > 0 })
        {
            yield return new FieldError(FieldErrorType.Required, "spec.accessModes", null, "at least 1 access mode is required");
        }

        if (claim.Spec?.Resources?.Requests?.TryGetValue("storage", out ResourceQuantity? storage) == true && storage.ToQuantity() is { Sign: <= 0 } q)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.resources.requests[storage]", q.ToString(), "must be greater than zero");
        }
    }
}
