using k8s.Models;
using Navarch.Api.Quantities;
using Navarch.Api.Storage;

namespace Navarch.Api.Strategies.Core;

/// <summary>core/v1 PersistentVolumeClaim.</summary>
internal static class PersistentVolumeClaimStrategy
{
    /// <summary>The strategy: Kubernetes' defaults, <see cref="PersistentVolumeClaimValidation"/>, and kubectl's columns.</summary>
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
        Validation = PersistentVolumeClaimValidation.Validate,
        UpdateValidation = PersistentVolumeClaimValidation.ValidateUpdate,
        Columns =
        [
            new("Status", "string", "", "phase represents the current phase of PersistentVolumeClaim."),
            new("Volume", "string", "", "volumeName is the binding reference to the PersistentVolume backing this claim."),
            new("Capacity", "string", "", "capacity represents the actual resources of the underlying volume."),
            new("Access Modes", "string", "", "accessModes contains the actual access modes the volume backing the PVC has."),
            new("StorageClass", "string", "", "StorageClass of the pvc"),
            new("VolumeAttributesClass", "string", "", "VolumeAttributesClass of the pvc"),
            TableColumn.AgeColumn,
            new("VolumeMode", "string", "", "volumeMode defines what type of volume is required by the claim.", 1),
        ],
        Cells = (c, now) =>
        {
            // As kubectl: capacity and access modes only once the claim names its volume.
            bool named = !string.IsNullOrEmpty(c.Spec?.VolumeName);
            return
            [
                c.Metadata.DeletionTimestamp is not null ? "Terminating" : c.Status?.Phase ?? "",
                c.Spec?.VolumeName ?? "",
                named && c.Status?.Capacity is { } cap && cap.TryGetValue("storage", out ResourceQuantity? q) ? ResourceQuantities.Text(q) : named ? "0" : "",
                named ? AccessModes(c.Status?.AccessModes) : "",
                StorageAnnotations.ClaimClass(c),
                string.IsNullOrEmpty(c.Spec?.VolumeAttributesClassName) ? "<unset>" : c.Spec.VolumeAttributesClassName,
                Age.Of(c.Metadata.CreationTimestamp, now),
                c.Spec?.VolumeMode ?? "<unset>",
            ];
        },
    };

    /// <summary>GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order, each once.</summary>
    public static string AccessModes(IList<string>? modes)
    {
        modes ??= [];
        return string.Join(",", new[] { ("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP") }
            .Where(m => modes.Contains(m.Item1)).Select(m => m.Item2));
    }
}
