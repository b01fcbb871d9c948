using k8s.Models;

namespace Navarch.Api.Strategies.Storage;

/// <summary>storage.k8s.io/v1 StorageClass.</summary>
internal static class StorageClassStrategy
{
    /// <summary>The strategy: Kubernetes' defaults (Delete, Immediate) and <see cref="StorageClassValidation"/>.</summary>
    public static ResourceStrategy<V1StorageClass> Create() => new()
    {
        Defaults = s =>
        {
            s.ReclaimPolicy ??= "Delete";
            s.VolumeBindingMode ??= "Immediate";
        },
        Validation = StorageClassValidation.Validate,
        UpdateValidation = StorageClassValidation.ValidateUpdate,
        NameCell = s => Navarch.Api.Storage.DefaultStorageClasses.IsDefault(s) ? $"{s.Metadata.Name} (default)" : s.Metadata.Name,
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
