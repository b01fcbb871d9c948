using System.Diagnostics;
using System.Globalization;
using Navarch.Kubelet.Volumes;

namespace Navarch.Kubelet.LocalPath;

/// <summary>
/// One local-path volume on disk: an ext4 filesystem in a sparse image file <c>NAME.img</c>, loop-mounted on the folder
/// <c>NAME</c> beside it. The filesystem's size is the volume's capacity, so a container writing more gets ENOSPC.
/// <c>mount -o loop</c> sets the loop device to detach itself at the last unmount, so nothing outlives <see cref="Remove"/>.
/// A raw block volume (volumeMode Block) is the image without a filesystem on a loop device of its own, and
/// <c>NAME</c> is a symbolic link to that device (<c>/dev/loopN</c>; the number may change when it is attached again
/// after a reboot, the link's path does not).
/// </summary>
internal sealed class LoopImage(string root, string name)
{
    /// <summary>The smallest image made: ext4's own metadata needs a few MiB.</summary>
    public const long MinimumBytes = 8L << 20;

    /// <summary>The image file.</summary>
    public string ImagePath { get; } = Path.Combine(root, name + ".img");

    /// <summary>Where the filesystem is mounted (the PersistentVolume's local.path).</summary>
    public string MountPath { get; } = Path.Combine(root, name);

    public bool Exists => File.Exists(ImagePath);

    /// <summary>The size an image for <paramref name="requested"/> bytes gets: whole MiB, at least <see cref="MinimumBytes"/>.</summary>
    public static long SizeFor(long requested) => Math.Max(MinimumBytes, (requested + (1L << 20) - 1) >> 20 << 20);

    /// <summary>Makes the image of <paramref name="bytes"/> (sparse) with an empty ext4 filesystem whose root anyone may write.</summary>
    public async Task CreateAsync(long bytes, CancellationToken cancellationToken)
    {
        // Private to root, as the rest of the data dir: pods reach the data through the mount only.
        Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string partial = ImagePath + ".partial";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        await using (var file = new FileStream(partial, options))
        {
            file.SetLength(bytes);
        }

        // No blocks reserved for root: the claim's capacity is all the pod's. mkfs makes the root folder 0755, root's;
        // pods of any user may write it once it is mounted (as k3s's local-path folders).
        await RunAsync("mkfs.ext4", ["-q", "-F", "-m", "0", "-L", "local-path", partial], cancellationToken).ConfigureAwait(false);
        File.Move(partial, ImagePath, overwrite: true);
        await MountAsync(cancellationToken).ConfigureAwait(false);
        File.SetUnixFileMode(MountPath, (UnixFileMode)Convert.ToInt32("777", 8));
    }

    /// <summary>Makes the image of <paramref name="bytes"/> (sparse, no filesystem) and attaches it as a raw block device.</summary>
    public async Task CreateBlockAsync(long bytes, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string partial = ImagePath + ".partial";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        await using (var file = new FileStream(partial, options))
        {
            file.SetLength(bytes);
        }

        File.Move(partial, ImagePath, overwrite: true);
        await AttachAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Attaches the image to a loop device unless one backs it (after a reboot none does) and points the link
    /// <see cref="MountPath"/> at the device.
    /// </summary>
    public async Task AttachAsync(CancellationToken cancellationToken)
    {
        string device = await DeviceAsync(cancellationToken).ConfigureAwait(false)
            ?? (await RunAsync("losetup", ["--find", "--show", ImagePath], cancellationToken).ConfigureAwait(false)).Trim();
        if (LinkTarget() == device)
        {
            return;
        }

        // Replaced atomically: a kubelet resolving the link never finds it missing.
        string link = MountPath + ".link";
        File.Delete(link);
        File.CreateSymbolicLink(link, device);
        File.Move(link, MountPath, overwrite: true);
    }

    /// <summary>Loop-mounts the image unless it is mounted (after a reboot the agent mounts its volumes again).</summary>
    public async Task MountAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(MountPath);
        if (!MountTable.IsMountPoint(MountPath))
        {
            await RunAsync("mount", ["-o", "loop", ImagePath, MountPath], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Grows the image file to <paramref name="bytes"/> (the loop device follows); the filesystem stays as it is.</summary>
    public async Task GrowAsync(long bytes, CancellationToken cancellationToken)
    {
        if (Size >= bytes)
        {
            return;
        }

        await using (var file = new FileStream(ImagePath, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(bytes);
        }

        if (await DeviceAsync(cancellationToken).ConfigureAwait(false) is { } device)
        {
            await RunAsync("losetup", ["-c", device], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Grows the filesystem to fill the image: online (resize2fs on the mounted device, which needs CAP_SYS_RESOURCE),
    /// else offline when nothing but <see cref="MountPath"/> mounts it (unmount, fsck, resize2fs, mount). False when it is
    /// in use by a pod and cannot grow online: Kubernetes' FileSystemResizePending, finished once the pod is gone.
    /// </summary>
    public async Task<bool> ResizeFileSystemAsync(CancellationToken cancellationToken)
    {
        await MountAsync(cancellationToken).ConfigureAwait(false);
        string device = await DeviceAsync(cancellationToken).ConfigureAwait(false) ?? throw new IOException($"no loop device backs {ImagePath}");
        try
        {
            await RunAsync("resize2fs", [device], cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (IOException) when (MountTable.MountCount(MountPath) == 1)
        {
            MountTable.Unmount(MountPath);
            await RunAsync("e2fsck", ["-f", "-p", ImagePath], cancellationToken).ConfigureAwait(false);
            await RunAsync("resize2fs", [ImagePath], cancellationToken).ConfigureAwait(false);
            await MountAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Where the link <see cref="MountPath"/> points; null when there is no link.</summary>
    private string? LinkTarget()
    {
        try
        {
            return File.ResolveLinkTarget(MountPath, returnFinalTarget: false)?.FullName;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private async Task<string?> DeviceAsync(CancellationToken cancellationToken) =>
        (await DevicesAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    private async Task<string[]> DevicesAsync(CancellationToken cancellationToken) =>
        (await RunAsync("losetup", ["-j", ImagePath, "-O", "NAME", "-n"], cancellationToken).ConfigureAwait(false))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The image's size in bytes (its capacity).</summary>
    public long Size => new FileInfo(ImagePath).Length;

    /// <summary>Detaches the loop devices of a raw block image (a pod still using one keeps it until it closes it), then <see cref="Remove"/>s.</summary>
    public async Task RemoveBlockAsync(CancellationToken cancellationToken)
    {
        if (Exists)
        {
            foreach (string device in await DevicesAsync(cancellationToken).ConfigureAwait(false))
            {
                await RunAsync("losetup", ["-d", device], cancellationToken).ConfigureAwait(false);
            }
        }

        File.Delete(MountPath);
        Remove();
    }

    /// <summary>Unmounts the filesystem (lazily: a pod's bind mount may still hold it) and deletes the image and folder.</summary>
    public void Remove()
    {
        if (Directory.Exists(MountPath) && LinkTarget() is null)
        {
            foreach (string mount in MountTable.MountsUnder(MountPath))
            {
                MountTable.Unmount(mount);
            }

            if (MountTable.MountsUnder(MountPath).Count == 0)
            {
                Directory.Delete(MountPath, recursive: true);
            }
        }

        File.Delete(ImagePath);
        File.Delete(ImagePath + ".partial");
    }

    /// <summary>
    /// Detaches every loop device whose backing file lies under <paramref name="root"/> (also one whose file is deleted):
    /// raw block volumes keep theirs until detached, so a node torn down without deleting its claims would leave them.
    /// Returns the devices detached.
    /// </summary>
    public static async Task<IReadOnlyList<string>> DetachAllUnderAsync(string root, CancellationToken cancellationToken)
    {
        const string Deleted = " (deleted)";
        string prefix = Path.GetFullPath(root).TrimEnd('/') + "/";
        var detached = new List<string>();
        foreach (string block in Directory.Exists("/sys/block") ? Directory.GetDirectories("/sys/block", "loop*") : [])
        {
            // Only an attached device has a backing file.
            string backing = Path.Combine(block, "loop", "backing_file");
            if (!File.Exists(backing))
            {
                continue;
            }

            string file = (await File.ReadAllTextAsync(backing, cancellationToken).ConfigureAwait(false)).TrimEnd('\n');
            if (file.EndsWith(Deleted, StringComparison.Ordinal))
            {
                file = file[..^Deleted.Length];
            }

            if (file.StartsWith(prefix, StringComparison.Ordinal))
            {
                string device = "/dev/" + Path.GetFileName(block);
                await RunAsync("losetup", ["-d", device], cancellationToken).ConfigureAwait(false);
                detached.Add(device);
            }
        }

        return detached;
    }

    private static async Task<string> RunAsync(string file, string[] args, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        using Process process = Process.Start(start) ?? throw new IOException($"cannot start {file}");
        Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            string reason = (await error.ConfigureAwait(false)).Trim();
            throw new IOException(string.Create(CultureInfo.InvariantCulture, $"{file} {string.Join(' ', args)}: exit {process.ExitCode}: {reason}"));
        }

        return await output.ConfigureAwait(false);
    }
}
