using System.Diagnostics;

namespace Navarch.Kubelet.Images;

/// <summary>
/// Imports OCI image-layout tarballs into a containerd. CRI has no import call, so this runs containerd's own
/// <c>ctr</c> in the <c>k8s.io</c> namespace, the one the CRI plugin serves images from.
/// </summary>
public static class ImageImporter
{
    /// <summary>Imports <paramref name="tarball"/> into the containerd listening on <paramref name="socket"/>.</summary>
    public static async Task ImportAsync(string socket, string tarball, CancellationToken cancellationToken = default)
    {
        const string ctr = "ctr";
        var info = new ProcessStartInfo(ctr)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "--address", socket, "--namespace", "k8s.io", "images", "import", tarball })
        {
            info.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"cannot run {ctr}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ctr images import {tarball} failed ({process.ExitCode}): {(await stderr.ConfigureAwait(false)).Trim()} {(await stdout.ConfigureAwait(false)).Trim()}");
        }
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
