using k8s.Models;

namespace Navarch.Controllers.PersistentVolume;

/// <summary>
/// A volume plugin that can delete the storage behind a PersistentVolume whose reclaim policy is Delete (Kubernetes'
/// DeletableVolumePlugin). The PersistentVolume controller deletes the PersistentVolume object after
/// <see cref="DeleteAsync"/> returns; a failure marks the volume Failed with the exception's message.
/// </summary>
public interface IDeletableVolumePlugin
{
    /// <summary>The plugin's name, as a provisioned volume's pv.kubernetes.io/provisioned-by annotation names it.</summary>
    string Name { get; }

    /// <summary>True when the plugin handles this volume's source (FindDeletablePluginBySpec).</summary>
    bool CanDelete(V1PersistentVolume volume);

    /// <summary>Deletes the storage behind <paramref name="volume"/>; throws with a message for the user when it cannot.</summary>
    Task DeleteAsync(V1PersistentVolume volume, CancellationToken cancellationToken);
}
