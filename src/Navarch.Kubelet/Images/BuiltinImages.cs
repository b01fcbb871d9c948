using System.Diagnostics;
using Navarch.Kubelet.Containerd;

namespace Navarch.Kubelet.Images;

/// <summary>
/// The two images a node needs when no registry can be reached, built from the host's own binaries: the pause image
/// (<c>registry.k8s.io/pause:3.10</c>, Debian's <c>catatonit -P</c>) every sandbox runs, and
/// <c>docker.io/library/busybox:1.35</c> (Debian's <c>busybox-static</c> with every applet linked in <c>/bin</c>).
/// </summary>
public static class BuiltinImages
{
    /// <summary>The pause image's name (the containerd sandbox image).</summary>
    public const string PauseName = ContainerdConfig.DefaultPauseImage;

    /// <summary>The busybox image's name.</summary>
    public const string BusyboxName = "docker.io/library/busybox:1.35";

    /// <summary>Where Debian's <c>catatonit</c> package puts its binary.</summary>
    public const string Catatonit = "/usr/bin/catatonit";

    /// <summary>Where Debian's <c>busybox-static</c> package puts its binary.</summary>
    public const string Busybox = "/bin/busybox";

    /// <summary>Writes the pause image to <paramref name="output"/>; its digest. Throws <see cref="FileNotFoundException"/> without catatonit.</summary>
    public static async Task<string> BuildPauseAsync(string output, string catatonit = Catatonit, CancellationToken cancellationToken = default)
    {
        Require(catatonit, "catatonit");
        using var root = new TemporaryRoot();
        File.Copy(catatonit, Path.Combine(root.Path, "catatonit"));
        return await OciImageBuilder.BuildFileAsync(new OciImageSpec { Name = PauseName, RootDirectory = root.Path, Entrypoint = ["/catatonit", "-P"] }, output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the busybox image to <paramref name="output"/>; its digest. Throws <see cref="FileNotFoundException"/> without busybox.</summary>
    public static async Task<string> BuildBusyboxAsync(string output, string busybox = Busybox, CancellationToken cancellationToken = default)
    {
        Require(busybox, "busybox-static");
        using var root = new TemporaryRoot();
        string bin = Directory.CreateDirectory(Path.Combine(root.Path, "bin")).FullName;
        File.Copy(busybox, Path.Combine(bin, "busybox"));
        foreach (string applet in await AppletsAsync(busybox, cancellationToken).ConfigureAwait(false))
        {
            // Applet names are plain words; anything else would escape /bin.
            if (applet != "busybox" && applet.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '[') && !applet.StartsWith('.'))
            {
                File.CreateSymbolicLink(Path.Combine(bin, applet), "busybox");
            }
        }

        DirectoryInfo tmp = Directory.CreateDirectory(Path.Combine(root.Path, "tmp"));
        File.SetUnixFileMode(tmp.FullName, (UnixFileMode)Convert.ToInt32("1777", 8));
        Directory.CreateDirectory(Path.Combine(root.Path, "root"));
        string etc = Directory.CreateDirectory(Path.Combine(root.Path, "etc")).FullName;
        await File.WriteAllTextAsync(Path.Combine(etc, "passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n", cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(etc, "group"), "root:x:0:\nnogroup:x:65534:\n", cancellationToken).ConfigureAwait(false);
        return await OciImageBuilder.BuildFileAsync(new OciImageSpec { Name = BusyboxName, RootDirectory = root.Path, Cmd = ["sh"] }, output, cancellationToken).ConfigureAwait(false);
    }

    private static void Require(string path, string package)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} not found: install Debian's {package} package to build the built-in images", path);
        }
    }

    private static async Task<IReadOnlyList<string>> AppletsAsync(string busybox, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(busybox) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--list");
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"cannot run {busybox}");
        Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        _ = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        string list = await output.ConfigureAwait(false);
        return process.ExitCode == 0 ? list.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : throw new InvalidOperationException($"{busybox} --list failed ({process.ExitCode})");
    }

    /// <summary>A private folder that becomes an image's root filesystem, removed afterwards.</summary>
    private sealed class TemporaryRoot : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("navarch-image-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
