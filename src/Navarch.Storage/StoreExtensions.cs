namespace Navarch.Storage;

/// <summary>Helpers built only on <see cref="IStore"/>, shared by every backend and caller.</summary>
public static class StoreExtensions
{
    /// <summary>
    /// Reads the key, asks <paramref name="tryUpdate"/> for the new value, and writes it with compare-and-swap on
    /// the modRevision it read; on conflict it re-reads and asks again. <paramref name="tryUpdate"/> receives null
    /// when the key does not exist; returning null from it means "no change" and returns the current version
    /// (or null). Creating is allowed only when <paramref name="ignoreNotFound"/> is true.
    /// </summary>
    public static async Task<KeyValue?> GuaranteedUpdateAsync(
        this IStore store,
        string key,
        Func<KeyValue?, byte[]?> tryUpdate,
        bool ignoreNotFound = false,
        WriteOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tryUpdate);
        StoreUpdateResult result = await store.GuaranteedUpdateAsync(
            key,
            (current, _) => ValueTask.FromResult(tryUpdate(current) is { } next ? StoreUpdate.Put(next) : StoreUpdate.None),
            ignoreNotFound,
            assumeAbsent: false,
            options,
            cancellationToken).ConfigureAwait(false);
        return result.Current;
    }

    /// <summary>
    /// Kubernetes' <c>GuaranteedUpdate</c>: reads the key, asks <paramref name="tryUpdate"/> what to do with that
    /// version (write, delete, or leave it), and does it with compare-and-swap on the modRevision it read; when
    /// another writer got there first it asks again with the fresh version, until a round succeeds. A
    /// <paramref name="tryUpdate"/> that throws ends it without a write, which is how a precondition (a
    /// resourceVersion the caller insists on, an object that may not change any more) stops the retries.
    /// <paramref name="tryUpdate"/> receives null when the key does not exist, which is an error
    /// (<see cref="StorageErrorCode.KeyNotFound"/>) unless <paramref name="ignoreNotFound"/> is set; then a write
    /// creates the key. <paramref name="assumeAbsent"/> skips the first read for a caller that expects to create.
    /// </summary>
    public static async Task<StoreUpdateResult> GuaranteedUpdateAsync(
        this IStore store,
        string key,
        Func<KeyValue?, CancellationToken, ValueTask<StoreUpdate>> tryUpdate,
        bool ignoreNotFound = false,
        bool assumeAbsent = false,
        WriteOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(tryUpdate);
        KeyValue? current = assumeAbsent && ignoreNotFound ? null : await store.GetAsync(key, 0, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (current is null && !ignoreNotFound)
            {
                throw StorageException.NotFound(key);
            }

            StoreUpdate next = await tryUpdate(current, cancellationToken).ConfigureAwait(false);
            try
            {
                switch (next.Kind)
                {
                    case StoreUpdateKind.Put when current is null:
                        KeyValue created = await store.CreateAsync(key, next.Value!, options, cancellationToken).ConfigureAwait(false);
                        return new StoreUpdateResult(StoreUpdateKind.Put, created, created.ModRevision);
                    case StoreUpdateKind.Put:
                        KeyValue updated = await store.UpdateAsync(key, next.Value!, current.ModRevision, options, cancellationToken).ConfigureAwait(false);
                        return new StoreUpdateResult(StoreUpdateKind.Put, updated, updated.ModRevision);
                    case StoreUpdateKind.Delete when current is not null:
                        DeleteResult deleted = await store.DeleteAsync(key, current.ModRevision, cancellationToken).ConfigureAwait(false);
                        return new StoreUpdateResult(StoreUpdateKind.Delete, deleted.Deleted, deleted.Revision);
                    default:
                        return new StoreUpdateResult(StoreUpdateKind.None, current, current?.ModRevision ?? 0);
                }
            }
            catch (StorageException e) when (e.Code is StorageErrorCode.Conflict)
            {
                current = e.Current;
            }
            catch (StorageException e) when (e.Code is StorageErrorCode.KeyExists or StorageErrorCode.KeyNotFound)
            {
                current = await store.GetAsync(key, 0, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
