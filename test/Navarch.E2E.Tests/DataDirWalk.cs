using System.Text.RegularExpressions;

namespace Navarch.E2E.Tests;

/// <summary>Walks a data dir (never following symbolic links) for files and folders that group or others may use.</summary>
internal static class DataDirWalk
{
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Every entry under <paramref name="root"/> (and root itself) with a group or other bit, as "path mode", except
    /// those whose path relative to the root matches one of <paramref name="exceptions"/> (pattern → why).
    /// </summary>
    public static List<string> Loose(string root, IReadOnlyDictionary<string, string> exceptions)
    {
        var loose = new List<string>();
        var pending = new Stack<FileSystemInfo>([new DirectoryInfo(root)]);
        while (pending.TryPop(out FileSystemInfo? entry))
        {
            string relative = Path.GetRelativePath(root, entry.FullName);
            if (exceptions.Keys.Any(pattern => Regex.IsMatch(relative, pattern)))
            {
                continue;
            }

            if (entry.LinkTarget is not null)
            {
                continue;
            }

            if ((entry.UnixFileMode & GroupOrOther) != 0)
            {
                loose.Add($"{relative} {Convert.ToString((int)entry.UnixFileMode, 8)}");
            }

            if (entry is DirectoryInfo dir)
            {
                foreach (FileSystemInfo child in dir.EnumerateFileSystemInfos())
                {
                    pending.Push(child);
                }
            }
        }

        return loose;
    }
}
