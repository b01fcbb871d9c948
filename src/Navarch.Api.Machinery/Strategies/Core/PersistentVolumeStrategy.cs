using k8s.Models;
using Navarch.Api.Quantities;
using Navarch.Api.Storage;

namespace Navarch.Api.Strategies.Core;

/// <summary>core/v1 PersistentVolume.</summary>
internal static class PersistentVolumeStrategy
{
    /// <summary>The strategy: Kubernetes' defaults (reclaim policy Retain, volumeMode Filesystem, phase Pending) and kubectl's columns.</summary>
    public static ResourceStrategy<V1PersistentVolume> Create() => new()
    {
        HasStatus = true,
        Defaults = pv =>
        {
            pv.Spec ??= new V1PersistentVolumeSpec();
            pv.Spec.PersistentVolumeReclaimPolicy ??= "Retain";
            pv.Spec.VolumeMode ??= "Filesystem";
            pv.Status ??= new V1PersistentVolumeStatus();
            pv.Status.Phase ??= "Pending";
        },
        Validation = PersistentVolumeValidation.Validate,
        UpdateValidation = PersistentVolumeValidation.ValidateUpdate,
        Columns =
        [
            new("Capacity", "string", "", "capacity is the description of the persistent volume's resources and capacity."),
            new("Access Modes", "string", "", "accessModes contains all ways the volume can be mounted."),
            new("Reclaim Policy", "string", "", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim."),
            new("Status", "string", "", "phase indicates if a volume is available, bound to a claim, or released by a claim."),
            new("Claim", "string", "", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim."),
            new("StorageClass", "string", "", "StorageClass of the pv"),
            new("VolumeAttributesClass", "string", "", "VolumeAttributesClass of the pv"),
            new("Reason", "string", "", "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI."),
            TableColumn.AgeColumn,
            new("VolumeMode", "string", "", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.", 1),
        ],
        Cells = (pv, now) =>
        [
            pv.Spec?.Capacity is { } cap && cap.TryGetValue("storage", out ResourceQuantity? q) ? ResourceQuantities.Text(q) : "0",
            PersistentVolumeClaimStrategy.AccessModes(pv.Spec?.AccessModes),
            pv.Spec?.PersistentVolumeReclaimPolicy ?? "",
            pv.Metadata.DeletionTimestamp is not null ? "Terminating" : pv.Status?.Phase ?? "",
            pv.Spec?.ClaimRef is { } claimRef ? $"{claimRef.NamespaceProperty}/{claimRef.Name}" : "",
            StorageAnnotations.VolumeClass(pv),
            string.IsNullOrEmpty(pv.Spec?.VolumeAttributesClassName) ? "<unset>" : pv.Spec.VolumeAttributesClassName,
            pv.Status?.Reason ?? "",
            Age.Of(pv.Metadata.CreationTimestamp, now),
            pv.Spec?.VolumeMode ?? "<unset>",
        ],
    };
}
