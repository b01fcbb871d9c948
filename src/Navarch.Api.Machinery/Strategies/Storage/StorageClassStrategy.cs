using k8s.Models;

namespace Navarch.Api.Strategies.Storage;

/// <summary>storage.k8s.io/v1 StorageClass.</summary>
internal static class StorageClassStrategy
{
    /// <summary>The strategy: a provisioner, fixed once created.</summary>
    public static ResourceStrategy<V1StorageClass> Create() => new()
    {
        Defaults = s =>
        {
            s.ReclaimPolicy ??= "Delete";
            s.VolumeBindingMode ??= "Immediate";
        },
        Validation = s => string.IsNullOrEmpty(s.Provisioner) ? [new FieldError(FieldErrorType.Required, "provisioner", null, "")] : [],
        UpdateValidation = (s, old) => s.Provisioner == old.Provisioner ? [] : [new FieldError(FieldErrorType.Forbidden, "provisioner", null, "updates to provisioner are forbidden.")],
        Columns =
        [
            new("Provisioner", "string", "", "Indicates the type of the provisioner."),
            new("ReclaimPolicy", "string", "", "Indicates the type of the reclaim policy."),
            new("VolumeBindingMode", "string", "", "Indicates the type of volume binding mode."),
            new("AllowVolumeExpansion", "boolean", "", "Indicates whether volume expansion is allowed."),
            TableColumn.AgeColumn,
        ],
        Cells = (s, now) => [s.Provisioner, s.ReclaimPolicy, s.VolumeBindingMode, s.AllowVolumeExpansion ?? false, Age.Of(s.Metadata.CreationTimestamp, now)],
    };
}
