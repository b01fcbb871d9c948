using System.Diagnostics;
using Navarch.Kubelet.Containerd;
using Navarch.Kubelet.Images;

namespace Navarch.Kubelet.Tests;

/// <summary>The images an end-to-end test needs, built from this machine's Debian packages the way scripts/lib/images.sh does.</summary>
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

    /// <summary>Writes pause and busybox image tarballs into <paramref name="folder"/>.</summary>
    public static async Task BuildAsync(string folder, string scratch)
    {
        Directory.CreateDirectory(folder);
        string pause = Path.Combine(scratch, "pause-root");
        Directory.CreateDirectory(pause);
        File.Copy("/usr/bin/catatonit", Path.Combine(pause, "catatonit"));
        await OciImageBuilder.BuildFileAsync(new OciImageSpec { Name = ContainerdConfig.DefaultPauseImage, RootDirectory = pause, Entrypoint = ["/catatonit", "-P"] }, Path.Combine(folder, "pause.tar"));

        string busybox = Path.Combine(scratch, "busybox-root");
        Directory.CreateDirectory(Path.Combine(busybox, "bin"));
        Directory.CreateDirectory(Path.Combine(busybox, "tmp"));
        File.Copy("/usr/bin/busybox", Path.Combine(busybox, "bin", "busybox"));
        foreach (string applet in new[] { "sh", "echo", "sleep", "cat", "ls", "env", "hostname", "ip", "true", "false" })
        {
            File.CreateSymbolicLink(Path.Combine(busybox, "bin", applet), "busybox");
        }

        await OciImageBuilder.BuildFileAsync(new OciImageSpec { Name = Busybox, RootDirectory = busybox, Cmd = ["sh"] }, Path.Combine(folder, "busybox.tar"));
    }

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
