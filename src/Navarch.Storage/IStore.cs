namespace Navarch.Storage;

/// <summary>
/// A multi-version key-value store shaped like etcd's KV: one store-wide revision that grows by one per
/// committed change, per-key create/mod revisions and versions, compare-and-swap, watches that replay
/// history, TTL leases and compaction. <c>metadata.resourceVersion</c> of every API object is a revision
/// of this store. Every member validates its input (<see cref="KeyRules"/>) before it writes anything.
/// </summary>
public interface IStore : IAsyncDisposable
{
    /// <summary>A short name of the backend ("sqlite", "etcd").</summary>
    string Backend { get; }

    /// <summary>The revision of the last committed change (0 for an empty store).</summary>
    Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default);

    /// <summary>The revision below which history has been dropped (0 when nothing was compacted).</summary>
    Task<long> GetCompactedRevisionAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads a key as it is now (<paramref name="revision"/> = 0) or as it was at a past revision.
    /// Returns null when the key does not exist at that revision. Throws <see cref="StorageErrorCode.Compacted"/>
    /// for a revision below the compacted one and <see cref="StorageErrorCode.FutureRevision"/> above the current one.
    /// </summary>
    Task<KeyValue?> GetAsync(string key, long revision = 0, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists the live keys that start with <paramref name="prefix"/>, in key order. With a limit, the result
    /// carries a continue token; every page of one listing is read at the same revision.
    /// </summary>
    Task<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken = default);

    /// <summary>Counts the live keys that start with <paramref name="prefix"/>.</summary>
    Task<long> CountAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Creates a key; throws <see cref="StorageErrorCode.KeyExists"/> when it is live already.</summary>
    Task<KeyValue> CreateAsync(string key, byte[] value, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the value of a live key. When <paramref name="expectedModRevision"/> is not 0 the write happens
    /// only if the key's modRevision equals it; otherwise it throws <see cref="StorageErrorCode.Conflict"/> carrying
    /// the current version. Throws <see cref="StorageErrorCode.KeyNotFound"/> when the key does not exist.
    /// </summary>
    Task<KeyValue> UpdateAsync(string key, byte[] value, long expectedModRevision, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes a live key, only if its modRevision equals <paramref name="expectedModRevision"/> when that is not 0.
    /// Returns the deleted version and the revision of the delete. Throws <see cref="StorageErrorCode.KeyNotFound"/>
    /// or <see cref="StorageErrorCode.Conflict"/>.
    /// </summary>
    Task<DeleteResult> DeleteAsync(string key, long expectedModRevision = 0, CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams every change under <paramref name="prefix"/> with a revision above <paramref name="sinceRevision"/>,
    /// exactly once and in revision order: first the retained history, then live changes, with no gap between them.
    /// A null <paramref name="sinceRevision"/> starts from the current revision. The stream ends by throwing
    /// <see cref="StorageErrorCode.Compacted"/> when the start is compacted away, or <see cref="StorageErrorCode.WatcherTooSlow"/>
    /// when the consumer falls too far behind; it never blocks writers or other watchers.
    /// </summary>
    IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long? sinceRevision, CancellationToken cancellationToken = default);

    /// <summary>Drops history below <paramref name="revision"/>; live keys stay. Compacting to an older revision than before is a no-op.</summary>
    Task CompactAsync(long revision, CancellationToken cancellationToken = default);
}

/// <summary>Options of a write.</summary>
/// <param name="Ttl">When set, the key is attached to a lease and deleted (watchers see the delete) once it expires.</param>
public sealed record WriteOptions(TimeSpan? Ttl = null);

/// <summary>What a delete removed.</summary>
/// <param name="Deleted">The last version of the key before the delete.</param>
/// <param name="Revision">The revision of the delete.</param>
public sealed record DeleteResult(KeyValue Deleted, long Revision);
