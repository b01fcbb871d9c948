namespace Navarch.Storage;

/// <summary>
/// Writes a snapshot file as every backend does: into <c>&lt;path&gt;.part</c> created 0600 (it holds every Secret),
/// synced, then renamed into place, so <c>ls</c> never sees a half-written snapshot and a crash leaves only a part file.
/// </summary>
public static class SnapshotFile
{
    /// <summary>Runs <paramref name="write"/> on the part file's path, then syncs and renames it to <paramref name="path"/>.</summary>
    public static async Task WriteAsync(string path, Func<string, Task> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (File.Exists(path))
        {
            throw new IOException($"snapshot {path} exists already");
        }

        string part = path + ".part";
        File.Delete(part);
        new FileStream(part, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }).Dispose();
        try
        {
            await write(part).ConfigureAwait(false);
            using (var file = new FileStream(part, FileMode.Open, FileAccess.ReadWrite))
            {
                file.Flush(flushToDisk: true);
            }

            File.Move(part, path, overwrite: false);
        }
        catch
        {
            File.Delete(part);
            throw;
        }
    }
}
