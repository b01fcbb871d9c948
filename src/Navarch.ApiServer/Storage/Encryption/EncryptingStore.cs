using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Navarch.Api.Resources;
using Navarch.Storage;

namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>
/// Encryption at rest as a transforming <see cref="IStore"/> (kube-apiserver's transformer in its etcd3 store): values
/// of the resources the EncryptionConfiguration names are encrypted on every write and decrypted on every read — get,
/// list, watch, conflicts and deletes — with the storage key as authenticated data; everything else passes unchanged.
/// Revisions, compaction and watches are the inner store's. A value that does not decrypt is, for a get, a
/// <see cref="StorageErrorCode.Corrupt"/> error naming the key (Kubernetes' internal error); lists and watches leave it
/// out and log it, so one unreadable object does not stop every watch of its resource. The transformers can be
/// replaced while serving (kube-apiserver's automatic reload of the configuration).
/// </summary>
internal sealed partial class EncryptingStore(IStore inner, ResourceCatalog catalog, ResourceTransformers transformers, ILogger logger) : IStore
{
    private readonly StorageResources _resources = new(catalog);
    private volatile ResourceTransformers _transformers = transformers;

    /// <summary>The store below, holding the encrypted values.</summary>
    public IStore Inner => inner;

    /// <summary>The transformers in use; setting them applies a new configuration to every later read and write.</summary>
    public ResourceTransformers Transformers
    {
        get => _transformers;
        set => _transformers = value;
    }

    /// <inheritdoc />
    public string Backend => inner.Backend;

    /// <inheritdoc />
    public Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default) => inner.GetCurrentRevisionAsync(cancellationToken);

    /// <inheritdoc />
    public Task<long> GetCompactedRevisionAsync(CancellationToken cancellationToken = default) => inner.GetCompactedRevisionAsync(cancellationToken);

    /// <inheritdoc />
    public async Task<KeyValue?> GetAsync(string key, long revision = 0, CancellationToken cancellationToken = default)
    {
        KeyValue? kv = await inner.GetAsync(key, revision, cancellationToken).ConfigureAwait(false);
        return kv is null ? null : Read(kv);
    }

    /// <inheritdoc />
    public async Task<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken = default)
    {
        ListResult result = await inner.ListAsync(prefix, options, cancellationToken).ConfigureAwait(false);
        var items = new List<KeyValue>(result.Items.Count);
        foreach (KeyValue kv in result.Items)
        {
            if (TryRead(kv) is { } plain)
            {
                items.Add(plain);
            }
        }

        return result with { Items = items };
    }

    /// <inheritdoc />
    public Task<long> CountAsync(string prefix, CancellationToken cancellationToken = default) => inner.CountAsync(prefix, cancellationToken);

    /// <inheritdoc />
    public async Task<KeyValue> CreateAsync(string key, byte[] value, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        KeyValue stored = await inner.CreateAsync(key, Write(key, value), options, cancellationToken).ConfigureAwait(false);
        return stored with { Value = value };
    }

    /// <inheritdoc />
    public async Task<KeyValue> UpdateAsync(string key, byte[] value, long expectedModRevision, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        try
        {
            KeyValue stored = await inner.UpdateAsync(key, Write(key, value), expectedModRevision, options, cancellationToken).ConfigureAwait(false);
            return stored with { Value = value };
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.Conflict && e.Current is { } current)
        {
            throw StorageException.Conflicted(key, Read(current));
        }
    }

    /// <inheritdoc />
    public async Task<DeleteResult> DeleteAsync(string key, long expectedModRevision = 0, CancellationToken cancellationToken = default)
    {
        DeleteResult result;
        try
        {
            result = await inner.DeleteAsync(key, expectedModRevision, cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.Conflict && e.Current is { } current)
        {
            throw StorageException.Conflicted(key, Read(current));
        }

        // The delete has happened: an unreadable last version is reported without its value rather than as a failure.
        return result with { Deleted = TryRead(result.Deleted) ?? result.Deleted with { Value = [] } };
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long? sinceRevision, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (WatchEvent e in inner.WatchAsync(prefix, sinceRevision, cancellationToken).ConfigureAwait(false))
        {
            KeyValue? kv = e.Type == WatchEventType.Put ? TryRead(e.Kv) : e.Kv;
            if (kv is null)
            {
                continue;
            }

            yield return e with { Kv = kv, PrevKv = e.PrevKv is null ? null : TryRead(e.PrevKv) };
        }
    }

    /// <inheritdoc />
    public Task CompactAsync(long revision, CancellationToken cancellationToken = default) => inner.CompactAsync(revision, cancellationToken);

    /// <summary>Closes the inner store.</summary>
    public ValueTask DisposeAsync() => inner.DisposeAsync();

    /// <summary>
    /// Rewrites every value under <paramref name="prefix"/> that the current configuration would store differently
    /// (written with another provider or key, or in plain text), each with a compare-and-swap on the version read, so a
    /// concurrent write (already in the current form) wins. Keys with a lease (a TTL) are left alone: rewriting would end
    /// their lease. Returns how many values were rewritten; unreadable ones are logged and skipped.
    /// </summary>
    public async Task<int> ReencryptAsync(string prefix, CancellationToken cancellationToken)
    {
        int rewritten = 0;
        string? next = null;
        do
        {
            ListResult page = await inner.ListAsync(prefix, new ListOptions(Limit: 500, Continue: next), cancellationToken).ConfigureAwait(false);
            next = page.Continue;
            foreach (KeyValue kv in page.Items)
            {
                IValueTransformer transformer = For(kv.Key);
                byte[] plain;
                bool stale;
                try
                {
                    plain = transformer.FromStorage(kv.Value, Encoding.UTF8.GetBytes(kv.Key), out stale);
                }
                catch (ValueTransformException e)
                {
                    LogUnreadable(logger, kv.Key, e.Message);
                    continue;
                }

                if (!stale || kv.Lease != 0)
                {
                    continue;
                }

                try
                {
                    await inner.UpdateAsync(kv.Key, transformer.ToStorage(plain, Encoding.UTF8.GetBytes(kv.Key)), kv.ModRevision, null, cancellationToken).ConfigureAwait(false);
                    rewritten++;
                }
                catch (StorageException e) when (e.Code is StorageErrorCode.Conflict or StorageErrorCode.KeyNotFound)
                {
                    // Written or deleted since it was listed: a write stores it the current way already.
                }
            }
        }
        while (next is not null);
        return rewritten;
    }

    private IValueTransformer For(string key) =>
        _resources.Find(key) is { } resource ? _transformers.For(resource) : IdentityTransformer.Instance;

    private byte[] Write(string key, byte[] value)
    {
        IValueTransformer transformer = For(key);
        return ReferenceEquals(transformer, IdentityTransformer.Instance) ? value : transformer.ToStorage(value, Encoding.UTF8.GetBytes(key));
    }

    private KeyValue Read(KeyValue kv)
    {
        IValueTransformer transformer = For(kv.Key);
        try
        {
            if (ReferenceEquals(transformer, IdentityTransformer.Instance))
            {
                // Unencrypted resources are not copied; the identity provider only refuses encrypted data.
                return kv.Value.AsSpan().StartsWith(IdentityTransformer.EncryptedPrefix) ? throw new ValueTransformException("identity transformer tried to read encrypted data") : kv;
            }

            return kv with { Value = transformer.FromStorage(kv.Value, Encoding.UTF8.GetBytes(kv.Key), out _) };
        }
        catch (ValueTransformException e)
        {
            throw new StorageException(StorageErrorCode.Corrupt, kv.Key, $"unable to transform key \"{kv.Key}\": {e.Message}", null, e);
        }
    }

    private KeyValue? TryRead(KeyValue kv)
    {
        try
        {
            return Read(kv);
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.Corrupt)
        {
            LogUnreadable(logger, kv.Key, e.InnerException?.Message ?? e.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Cannot decrypt the stored value of {Key} ({Reason}); it is left out of lists and watches, and a get of it fails")]
    private static partial void LogUnreadable(ILogger logger, string key, string reason);
}
