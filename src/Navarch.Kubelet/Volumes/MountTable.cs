using System.Globalization;
using System.Runtime.InteropServices;

namespace Navarch.Kubelet.Volumes;

/// <summary>
/// The kernel's mount table as the volume manager needs it: which paths are mount points, a tmpfs mounted on a
/// folder (memory-backed emptyDir, secret, downwardAPI and projected volumes) and lazy unmounts at tear-down.
/// </summary>
internal static partial class MountTable
{
    private const int MntDetach = 2;
    private const ulong MsBind = 4096;
    private const ulong MsRec = 16384;

    /// <summary>Mount points at or below <paramref name="root"/>, deepest first (the order to unmount them in).</summary>
    public static List<string> MountsUnder(string root)
    {
        string prefix = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        return [.. MountPoints()
            .Where(m => m == prefix || m.StartsWith(prefix + "/", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(m => m.Length)];
    }

    public static bool IsMountPoint(string path)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        return MountPoints().Contains(full, StringComparer.Ordinal);
    }

    /// <summary>How many mount points show the filesystem mounted at <paramref name="path"/> (bind mounts count); 0 when none is.</summary>
    public static int MountCount(string path)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        string[][] mounts = [.. File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' '))];
        string? device = mounts.FirstOrDefault(f => Unescape(f[4]) == full)?[2];
        return device is null ? 0 : mounts.Count(f => f[2] == device);
    }

    /// <summary>Mounts a tmpfs on <paramref name="path"/> unless one is there; <paramref name="sizeBytes"/> caps it.</summary>
    public static void EnsureTmpfs(string path, long? sizeBytes, string mode = "0777")
    {
        Directory.CreateDirectory(path);
        if (IsMountPoint(path))
        {
            return;
        }

        string options = $"mode={mode}" + (sizeBytes is > 0 ? $",size={sizeBytes.Value.ToString(CultureInfo.InvariantCulture)}" : "");
        if (Mount("tmpfs", path, "tmpfs", 0, options) != 0)
        {
            throw new IOException($"mount -t tmpfs -o {options} tmpfs {path}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Bind-mounts <paramref name="source"/> (with the mounts below it) on <paramref name="path"/> unless something is mounted there.</summary>
    public static void EnsureBind(string source, string path)
    {
        Directory.CreateDirectory(path);
        if (IsMountPoint(path))
        {
            return;
        }

        if (Mount(source, path, "", MsBind | MsRec, null) != 0)
        {
            throw new IOException($"mount --rbind {source} {path}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Detaches the mount at <paramref name="path"/> (lazily: a process still using it keeps it until it lets go).</summary>
    public static void Unmount(string path)
    {
        if (Umount2(path, MntDetach) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();

            // EINVAL: not a mount point (any more); ENOENT: gone.
            if (errno is not (22 or 2))
            {
                throw new IOException($"umount {path}: errno {errno}");
            }
        }
    }

    private static IEnumerable<string> MountPoints() =>
        File.ReadLines("/proc/self/mountinfo").Select(l => Unescape(l.Split(' ')[4]));

    /// <summary>mountinfo escapes space, tab, newline and backslash as octal (\040).</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var b = new System.Text.StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length)
            {
                b.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                b.Append(field[i]);
            }
        }

        return b.ToString();
    }

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mount(string source, string target, string fileSystemType, ulong flags, string? data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2(string target, int flags);
}
