using System.Diagnostics;
using Navarch.Kubelet.Images;

namespace Navarch.Kubelet.Tests;

/// <summary>The images an end-to-end test needs, built from this machine's Debian packages as `navarch images build-builtin` does.</summary>
internal static class TestImages
{
    public const string Busybox = "docker.io/library/busybox:1.35";

    /// <summary>Installs the runtime packages through scripts/lib/images.sh when containerd is missing.</summary>
    public static void EnsurePackages()
    {
        if (File.Exists("/usr/bin/containerd") && File.Exists("/usr/bin/busybox") && File.Exists("/usr/bin/catatonit") && File.Exists("/usr/lib/cni/bridge"))
        {
            return;
        }

        string root = RepoRoot();
        var info = new ProcessStartInfo("bash", ["-c", ". scripts/lib/packages.sh && . scripts/lib/images.sh && ensure_image_packages"]) { WorkingDirectory = root };
        using Process p = Process.Start(info)!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, "containerd, runc, catatonit, busybox-static and containernetworking-plugins are needed: run scripts/lib/images.sh (ensure_image_packages) as root");
    }

    /// <summary>
    /// Writes the busybox image tarball into <paramref name="folder"/>. No pause image: the kubelet builds that one
    /// itself when none is brought, so every kubelet test starts through that path.
    /// </summary>
    public static Task BuildAsync(string folder) =>
        BuiltinImages.BuildBusyboxAsync(Path.Combine(Directory.CreateDirectory(folder).FullName, "busybox.tar"));

    public static string RepoRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Navarch.slnx")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found");
    }
}
