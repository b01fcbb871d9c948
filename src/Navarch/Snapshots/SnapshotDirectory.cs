using System.Globalization;

namespace Navarch.Snapshots;

/// <summary>
/// The folder snapshots are kept in (k3s's <c>&lt;data-dir&gt;/server/db/snapshots</c>, or <c>--snapshot-dir</c>),
/// 0700 with 0600 files since a snapshot holds every Secret. Snapshots are named as k3s names them,
/// <c>&lt;name&gt;-&lt;node&gt;-&lt;unix time&gt;</c>, and pruned per name and node, oldest first.
/// </summary>
internal sealed class SnapshotDirectory(string path)
{
    /// <summary>The name of snapshots taken by <c>navarch snapshot save</c> without <c>--name</c> (k3s's).</summary>
    public const string OnDemandName = "on-demand";

    /// <summary>The name of the server's scheduled snapshots (k3s's <c>--etcd-snapshot-name</c> default).</summary>
    public const string ScheduledName = "etcd-snapshot";

    /// <summary>The folder.</summary>
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>The default folder under a data dir.</summary>
    public static string DefaultPath(string dataDir) => System.IO.Path.Combine(dataDir, "server", "db", "snapshots");

    /// <summary>The file name of a snapshot taken at <paramref name="at"/>.</summary>
    public static string NameFor(string name, string node, DateTimeOffset at) =>
        $"{name}-{node}-{at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Where a new snapshot named <paramref name="name"/> goes; creates the folder (0700) when missing.</summary>
    public string PathFor(string name)
    {
        ValidateName(name);
        Directory.CreateDirectory(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return System.IO.Path.Combine(Path, name);
    }

    /// <summary>The snapshots in the folder, oldest first (none when it does not exist).</summary>
    public IReadOnlyList<SnapshotInfo> List()
    {
        if (!Directory.Exists(Path))
        {
            return [];
        }

        return new DirectoryInfo(Path).EnumerateFiles()
            .Where(f => !f.Name.EndsWith(".part", StringComparison.Ordinal))
            .Select(f => new SnapshotInfo(f.Name, new Uri(f.FullName).AbsoluteUri, f.Length, CreatedOf(f.Name) ?? new DateTimeOffset(f.LastWriteTimeUtc, TimeSpan.Zero)))
            .OrderBy(s => s.Created)
            .ThenBy(s => s.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Deletes one snapshot; throws <see cref="FileNotFoundException"/> when there is none of that name.</summary>
    public void Delete(string name)
    {
        ValidateName(name);
        string file = System.IO.Path.Combine(Path, name);
        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"snapshot {name} not found in {Path}", file);
        }

        File.Delete(file);
    }

    /// <summary>
    /// Deletes the snapshots named <c>&lt;name&gt;-&lt;node&gt;-*</c> beyond the newest <paramref name="retention"/>;
    /// returns the names it deleted.
    /// </summary>
    public IReadOnlyList<string> Prune(string name, string node, int retention)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retention, 1);
        string prefix = $"{name}-{node}-";
        var pruned = List().Where(s => s.Name.StartsWith(prefix, StringComparison.Ordinal) && CreatedOf(s.Name) is not null)
            .Reverse()
            .Skip(retention)
            .Select(s => s.Name)
            .ToList();
        foreach (string old in pruned)
        {
            File.Delete(System.IO.Path.Combine(Path, old));
        }

        return pruned;
    }

    /// <summary>A snapshot name is one file name: no folders, nothing hidden.</summary>
    public static void ValidateName(string name)
    {
        if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || name.StartsWith('.') || name.EndsWith(".part", StringComparison.Ordinal))
        {
            throw new ArgumentException($"invalid snapshot name {name}: a snapshot name is a file name, without '/', not starting with '.'");
        }
    }

    /// <summary>The unix time at the end of a <c>&lt;name&gt;-&lt;node&gt;-&lt;unix time&gt;</c> name.</summary>
    private static DateTimeOffset? CreatedOf(string name)
    {
        int dash = name.LastIndexOf('-');
        return dash > 0 && long.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long unix) && unix < 253402300800
            ? DateTimeOffset.FromUnixTimeSeconds(unix)
            : null;
    }
}
