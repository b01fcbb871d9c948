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
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(tryUpdate);
        KeyValue? current = await store.GetAsync(key, 0, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (current is null && !ignoreNotFound)
            {
                throw StorageException.NotFound(key);
            }

            byte[]? next = tryUpdate(current);
            if (next is null)
            {
                return current;
            }

            try
            {
                return current is null
                    ? await store.CreateAsync(key, next, options, cancellationToken).ConfigureAwait(false)
                    : await store.UpdateAsync(key, next, current.ModRevision, options, cancellationToken).ConfigureAwait(false);
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
