namespace Navarch.Storage;

/// <summary>
/// A store that can write a consistent copy of all of its data (every key, its history and the current revision)
/// while it keeps serving reads and writes: what <c>navarch snapshot save</c> and the scheduled snapshots take.
/// </summary>
public interface ISnapshotSource
{
    /// <summary>
    /// Writes a snapshot to <paramref name="path"/>, which must not exist; the file appears (0600, synced) only once
    /// it is complete, so a failed or cancelled snapshot leaves nothing behind.
    /// </summary>
    Task SaveSnapshotAsync(string path, CancellationToken cancellationToken = default);
}
