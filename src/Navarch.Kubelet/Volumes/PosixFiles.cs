using System.Runtime.InteropServices;

namespace Navarch.Kubelet.Volumes;

/// <summary>The POSIX file calls .NET lacks: chown (a pod's fsGroup), stat's st_mode (file types) and a rename(2) that also renames a symlink to a folder.</summary>
internal static partial class PosixFiles
{
    /// <summary>Gives <paramref name="path"/> (not a symlink's target) the group <paramref name="gid"/>, keeping its owner.</summary>
    public static void SetGroup(string path, long gid)
    {
        if (Lchown(path, -1, (int)gid) != 0)
        {
            throw new IOException($"chgrp {gid} {path}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>stat(2)'s st_mode of <paramref name="path"/> (following symlinks); 0 when it cannot be read.</summary>
    public static unsafe uint StatMode(string path)
    {
        // struct stat: st_mode sits after st_dev, st_ino and st_nlink on x86-64, after st_dev and st_ino on arm64.
        byte* buffer = stackalloc byte[256];
        if (Stat(path, buffer) != 0)
        {
            return 0;
        }

        int offset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;
        return *(uint*)(buffer + offset);
    }

    /// <summary>stat(2)'s st_gid of <paramref name="path"/> (following symlinks); -1 when it cannot be read.</summary>
    public static unsafe long StatGroup(string path)
    {
        // struct stat: st_gid follows st_mode and st_uid on x86-64 (offset 32), st_mode, st_nlink and st_uid on arm64 (28).
        byte* buffer = stackalloc byte[256];
        if (Stat(path, buffer) != 0)
        {
            return -1;
        }

        int offset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 32 : 28;
        return *(uint*)(buffer + offset);
    }

    /// <summary>rename(2): atomically replaces <paramref name="to"/> (File.Move refuses a symlink to a folder).</summary>
    public static void Rename(string from, string to)
    {
        if (RenameCall(from, to) != 0)
        {
            throw new IOException($"rename {from} {to}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameCall(string from, string to);

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Stat(string path, byte* buffer);

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Lchown(string path, int owner, int group);
}
