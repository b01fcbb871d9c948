using System.Text.RegularExpressions;
using k8s.Models;

namespace Navarch.Controllers.PersistentVolume;

/// <summary>
/// Kubernetes' in-tree hostPath deleter: removes the directory of a Delete-policy hostPath volume, but only one under
/// /tmp (anything else fails the volume, so a typo cannot erase a host directory). It deletes on the host the
/// controller manager runs on, as Kubernetes' does: meant for single-node clusters and tests.
/// </summary>
public sealed partial class HostPathDeleter : IDeletableVolumePlugin
{
    /// <inheritdoc />
    public string Name => "kubernetes.io/host-path";

    /// <inheritdoc />
    public bool CanDelete(V1PersistentVolume volume) => volume.Spec?.HostPath is not null;

    /// <inheritdoc />
    public Task DeleteAsync(V1PersistentVolume volume, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(volume);
        string path = volume.Spec?.HostPath?.Path ?? "";
        if (!TmpPath().IsMatch(path))
        {
            throw new InvalidOperationException($"host_path deleter only supports /tmp/.+ but received provided {path}");
        }

        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
        else if (File.Exists(path))
        {
            File.Delete(path);
        }

        return Task.CompletedTask;
    }

    [GeneratedRegex("/tmp/.+")]
    private static partial Regex TmpPath();
}
