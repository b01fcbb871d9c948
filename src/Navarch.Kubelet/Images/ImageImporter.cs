namespace Navarch.Kubelet.Images;

/// <summary>
/// Imports OCI image-layout tarballs into a containerd. CRI has no import call, so this runs containerd's own
/// <c>ctr</c> (<see cref="Ctr"/>).
/// </summary>
public static class ImageImporter
{
    /// <summary>Imports <paramref name="tarball"/> into the containerd listening on <paramref name="socket"/>.</summary>
    public static async Task ImportAsync(string socket, string tarball, CancellationToken cancellationToken = default)
    {
        await Ctr.RunAsync(socket, ["images", "import", tarball], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Imports every <c>*.tar</c> in <paramref name="folder"/> (k3s's air-gap images folder); returns the files imported.</summary>
    public static async Task<IReadOnlyList<string>> ImportFolderAsync(string socket, string folder, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var imported = new List<string>();
        foreach (string file in Directory.EnumerateFiles(folder, "*.tar").Order(StringComparer.Ordinal))
        {
            await ImportAsync(socket, file, cancellationToken).ConfigureAwait(false);
            imported.Add(file);
        }

        return imported;
    }
}
