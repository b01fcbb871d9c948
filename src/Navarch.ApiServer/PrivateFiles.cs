using System.Text;

namespace Navarch.ApiServer;

/// <summary>
/// Files only the server's user may read (keys, certificates, kubeconfigs, tokens, the encryption config): created
/// with their final mode, so they are never readable by others for a moment, and an existing file's looser mode is
/// tightened before it is rewritten.
/// </summary>
public static class PrivateFiles
{
    /// <summary>0600: read and write for the owner only.</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>0700: a folder only its owner may enter.</summary>
    public const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The group and other bits a private file or folder must not have.</summary>
    public const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> with <paramref name="mode"/> (0600 by default).</summary>
    public static void Write(string path, string text, UnixFileMode mode = OwnerOnly) => Write(path, Encoding.UTF8.GetBytes(text), mode);

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> with <paramref name="mode"/> (0600 by default).</summary>
    public static void Write(string path, byte[] bytes, UnixFileMode mode = OwnerOnly)
    {
        if (File.Exists(path))
        {
            File.SetUnixFileMode(path, mode);
        }

        using (var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = mode }))
        {
            stream.Write(bytes);
        }

        // UnixCreateMode is masked by the umask: a mode wider than 0600 (--write-kubeconfig-mode 644) is set after.
        File.SetUnixFileMode(path, mode);
    }

    /// <summary>Creates <paramref name="path"/> (and missing parents) as 0700 folders; an existing one loses group and other bits.</summary>
    public static void CreateDirectory(string path)
    {
        // Directory.CreateDirectory gives missing parents the default mode, so each is created here with 0700.
        string full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { } parent && !Directory.Exists(parent))
        {
            CreateDirectory(parent);
        }

        Directory.CreateDirectory(full, OwnerOnlyDirectory);
        Restrict(full);
    }

    /// <summary>Removes the group and other bits of <paramref name="path"/> when it exists and is not a symbolic link.</summary>
    public static void Restrict(string path)
    {
        var info = new FileInfo(path);
        if ((info.Exists || Directory.Exists(path)) && info.LinkTarget is null && (info.UnixFileMode & GroupOrOther) != 0)
        {
            File.SetUnixFileMode(path, info.UnixFileMode & ~GroupOrOther);
        }
    }

    /// <summary>Restricts <paramref name="root"/> and everything below it (symbolic links are neither changed nor followed).</summary>
    public static void RestrictTree(string root)
    {
        if (!Directory.Exists(root) || new DirectoryInfo(root).LinkTarget is not null)
        {
            Restrict(root);
            return;
        }

        Restrict(root);
        foreach (FileSystemInfo entry in new DirectoryInfo(root).EnumerateFileSystemInfos())
        {
            if (entry.LinkTarget is not null)
            {
                continue;
            }

            if (entry is DirectoryInfo)
            {
                RestrictTree(entry.FullName);
            }
            else
            {
                Restrict(entry.FullName);
            }
        }
    }
}
