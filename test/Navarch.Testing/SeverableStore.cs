using System.Runtime.CompilerServices;
using Navarch.Storage;

namespace Navarch.Testing;

/// <summary>
/// A store that can be cut off from the one it stands on, as a server loses its datastore when its machine dies or its
/// network goes: after <see cref="Sever"/> every call fails with <see cref="StorageErrorCode.Unavailable"/> and every
/// watch ends so. The store beneath stays open (and shared) for everybody else; disposing this one leaves it open.
/// </summary>
public sealed class SeverableStore(IStore inner) : IStore
{
    private readonly CancellationTokenSource _severed = new();

    /// <inheritdoc />
    public string Backend => inner.Backend;

    /// <summary>Cuts this store off for good.</summary>
    public void Sever() => _severed.Cancel();

    /// <inheritdoc />
    public Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default) => Call(() => inner.GetCurrentRevisionAsync(cancellationToken));

    /// <inheritdoc />
    public Task<long> GetCompactedRevisionAsync(CancellationToken cancellationToken = default) => Call(() => inner.GetCompactedRevisionAsync(cancellationToken));

    /// <inheritdoc />
    public Task<KeyValue?> GetAsync(string key, long revision = 0, CancellationToken cancellationToken = default) => Call(() => inner.GetAsync(key, revision, cancellationToken));

    /// <inheritdoc />
    public Task<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken = default) => Call(() => inner.ListAsync(prefix, options, cancellationToken));

    /// <inheritdoc />
    public Task<long> CountAsync(string prefix, CancellationToken cancellationToken = default) => Call(() => inner.CountAsync(prefix, cancellationToken));

    /// <inheritdoc />
    public Task<KeyValue> CreateAsync(string key, byte[] value, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Call(() => inner.CreateAsync(key, value, options, cancellationToken));

    /// <inheritdoc />
    public Task<KeyValue> UpdateAsync(string key, byte[] value, long expectedModRevision, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        Call(() => inner.UpdateAsync(key, value, expectedModRevision, options, cancellationToken));

    /// <inheritdoc />
    public Task<DeleteResult> DeleteAsync(string key, long expectedModRevision = 0, CancellationToken cancellationToken = default) =>
        Call(() => inner.DeleteAsync(key, expectedModRevision, cancellationToken));

    /// <inheritdoc />
    public Task CompactAsync(long revision, CancellationToken cancellationToken = default) => Call(async () =>
    {
        await inner.CompactAsync(revision, cancellationToken);
        return true;
    });

    /// <inheritdoc />
    public async IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long? sinceRevision, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ThrowIfSevered(prefix);
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _severed.Token);
        IAsyncEnumerator<WatchEvent> events = inner.WatchAsync(prefix, sinceRevision, watching.Token).GetAsyncEnumerator(watching.Token);
        try
        {
            while (true)
            {
                bool next;
                try
                {
                    next = await events.MoveNextAsync();
                }
                catch (OperationCanceledException) when (_severed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    next = false;
                }

                ThrowIfSevered(prefix);
                if (!next)
                {
                    yield break;
                }

                yield return events.Current;
            }
        }
        finally
        {
            await events.DisposeAsync();
        }
    }

    /// <summary>Leaves the store beneath open: it is shared.</summary>
    public ValueTask DisposeAsync()
    {
        _severed.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<T> Call<T>(Func<Task<T>> call)
    {
        ThrowIfSevered("");
        return await call();
    }

    private void ThrowIfSevered(string key)
    {
        if (_severed.IsCancellationRequested)
        {
            throw new StorageException(StorageErrorCode.Unavailable, key, "the store is out of reach");
        }
    }
}
