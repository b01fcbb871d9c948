namespace Navarch.Snapshots;

/// <summary>One snapshot file as <c>navarch snapshot ls</c> shows it (k3s's columns).</summary>
/// <param name="Name">The file name, <c>&lt;name&gt;-&lt;node&gt;-&lt;unix time&gt;</c>.</param>
/// <param name="Location">A file:// URL of it.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Created">When it was taken: the unix time in its name, or the file's time for a file named otherwise.</param>
internal sealed record SnapshotInfo(string Name, string Location, long Size, DateTimeOffset Created);
