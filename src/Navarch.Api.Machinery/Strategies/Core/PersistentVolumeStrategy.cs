using k8s.Models;

namespace Navarch.Api.Strategies.Core;

/// <summary>core/v1 PersistentVolume.</summary>
internal static class PersistentVolumeStrategy
{
    /// <summary>The strategy.</summary>
    public static ResourceStrategy<V1PersistentVolume> Create() => new()
    {
        HasStatus = true,
        Validation = PersistentVolumeValidation.Validate,
    };
}
