namespace Navarch.Storage;

/// <summary>
/// A store whose revision can jump forward after a restore, as etcd's <c>etcdutl snapshot restore --bump-revision
/// --mark-compacted</c>: clients (informers, watch caches) hold resourceVersions from the timeline the snapshot
/// replaced, which may be above the snapshot's revision; without the jump a new write could reuse one of them for
/// another change, and a watch resumed from it would silently miss or misorder events.
/// </summary>
public interface IRevisionBump
{
    /// <summary>
    /// Raises the store's revision by <paramref name="amount"/> and marks every revision below the new one compacted,
    /// in one commit that survives a crash: every later revision is above any served before, and a read or watch at an
    /// older one fails with <see cref="StorageErrorCode.Compacted"/> (410 Gone at the API). Returns the total the
    /// store's revisions have been raised by so far (its revision offset). Run before the store serves.
    /// </summary>
    Task<long> BumpRevisionAsync(long amount, CancellationToken cancellationToken = default);
}
