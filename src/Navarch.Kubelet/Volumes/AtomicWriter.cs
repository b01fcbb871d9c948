using System.Globalization;

namespace Navarch.Kubelet.Volumes;

/// <summary>
/// The kubelet's atomic writer for configMap, secret, downwardAPI and projected volumes. A payload is written into a
/// fresh hidden timestamped folder (<c>..2026_11_23_19_40_00.123456789</c>); the <c>..data</c> symlink is then
/// swapped to it with one rename, so a reader sees either the whole old or the whole new payload, never a mix. The
/// visible entries are symlinks through <c>..data</c> (<c>key → ..data/key</c>), created once per top-level name.
/// </summary>
internal static class AtomicWriter
{
    public const string DataDirName = "..data";
    private const string NewDataDirName = "..data_tmp";

    /// <summary>Makes <paramref name="targetDir"/> show exactly <paramref name="payload"/>; returns false when it already did.</summary>
    /// <param name="targetDir">The volume folder.</param>
    /// <param name="payload">Relative paths (no "..", not absolute, not starting with "..") and their files.</param>
    /// <param name="now">The time the new folder is named after.</param>
    /// <param name="fsGroup">A group given to every written file and folder, as the pod's fsGroup asks.</param>
    public static bool Write(string targetDir, IReadOnlyDictionary<string, VolumeFile> payload, DateTimeOffset now, long? fsGroup = null)
    {
        foreach (string path in payload.Keys)
        {
            Validate(path);
        }

        Directory.CreateDirectory(targetDir);
        string dataLink = Path.Combine(targetDir, DataDirName);
        string? oldTsName = new FileInfo(dataLink).LinkTarget;
        string? oldTsDir = oldTsName is null ? null : Path.Combine(targetDir, oldTsName);
        if (oldTsDir is not null && Directory.Exists(oldTsDir) && SameContent(oldTsDir, payload))
        {
            return false;
        }

        // A unique hidden folder per write, named like kubelet's (time, then a random suffix).
        string tsName = "." + "." + now.UtcDateTime.ToString("yyyy_MM_dd_HH_mm_ss", CultureInfo.InvariantCulture) + "." + Random.Shared.Next(100_000_000, 999_999_999).ToString(CultureInfo.InvariantCulture);
        string tsDir = Path.Combine(targetDir, tsName);
        Directory.CreateDirectory(tsDir);
        File.SetUnixFileMode(tsDir, Mode(0755));
        foreach ((string relative, VolumeFile file) in payload)
        {
            string full = Path.Combine(tsDir, relative);
            string parent = Path.GetDirectoryName(full)!;
            if (!Directory.Exists(parent))
            {
                Directory.CreateDirectory(parent);
                File.SetUnixFileMode(parent, Mode(0755));
            }

            File.WriteAllBytes(full, file.Data);
            File.SetUnixFileMode(full, Mode(file.Mode));
        }

        if (fsGroup is long gid)
        {
            PosixFiles.SetGroup(tsDir, gid);
            foreach (string entry in Directory.EnumerateFileSystemEntries(tsDir, "*", SearchOption.AllDirectories))
            {
                PosixFiles.SetGroup(entry, gid);
            }
        }

        // The swap: a new symlink renamed over the old one (rename(2) replaces atomically).
        string newLink = Path.Combine(targetDir, NewDataDirName);
        if (new FileInfo(newLink).LinkTarget is not null)
        {
            File.Delete(newLink);
        }

        File.CreateSymbolicLink(newLink, tsName);
        PosixFiles.Rename(newLink, dataLink);

        var visible = payload.Keys.Select(TopLevel).ToHashSet(StringComparer.Ordinal);
        foreach (string name in visible)
        {
            string link = Path.Combine(targetDir, name);
            if (new FileInfo(link).LinkTarget is null)
            {
                File.CreateSymbolicLink(link, Path.Combine(DataDirName, name));
            }
        }

        // Names the new payload no longer has, and the old folder.
        foreach (string entry in Directory.EnumerateFileSystemEntries(targetDir))
        {
            string name = Path.GetFileName(entry);
            if (!name.StartsWith("..", StringComparison.Ordinal) && !visible.Contains(name) && new FileInfo(entry).LinkTarget is not null)
            {
                File.Delete(entry);
            }
        }

        if (oldTsDir is not null && Directory.Exists(oldTsDir) && oldTsName != tsName)
        {
            Directory.Delete(oldTsDir, recursive: true);
        }

        return true;
    }

    /// <summary>Kubelet's rules for payload paths: relative, no ".." element, not starting with "..".</summary>
    internal static void Validate(string path)
    {
        if (path.Length == 0 || path.StartsWith('/') || path.StartsWith("..", StringComparison.Ordinal) || path.Split('/').Any(e => e == ".."))
        {
            throw new ArgumentException($"invalid path {path}: must be relative, must not contain '..' and must not start with '..'", nameof(path));
        }
    }

    private static string TopLevel(string path) => path.Split('/', 2)[0];

    private static bool SameContent(string dir, IReadOnlyDictionary<string, VolumeFile> payload)
    {
        var existing = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).ToList();
        if (existing.Count != payload.Count)
        {
            return false;
        }

        foreach ((string relative, VolumeFile file) in payload)
        {
            string full = Path.Combine(dir, relative);
            if (!File.Exists(full) || File.GetUnixFileMode(full) != Mode(file.Mode) || !File.ReadAllBytes(full).AsSpan().SequenceEqual(file.Data))
            {
                return false;
            }
        }

        return true;
    }

    private static UnixFileMode Mode(int bits) => (UnixFileMode)(bits & 0xFFF);
}
