using Navarch.Storage;

namespace Navarch.ApiServer.Tests.Registry;

/// <summary>
/// A real store with a rival: just before the first compare-and-swap write of <paramref name="key"/> (an update or a
/// delete), <paramref name="rival"/> writes the key itself, so that write loses the race — deterministically.
/// </summary>
internal sealed class RivalWriterStore(IStore inner, string key, Func<IStore, Task> rival) : IStore
{
    private int _raced;

    /// <summary>Whether the rival has written.</summary>
    public bool Raced => _raced == 1;

    public string Backend => inner.Backend;

    public Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default) => inner.GetCurrentRevisionAsync(cancellationToken);

    public Task<long> GetCompactedRevisionAsync(CancellationToken cancellationToken = default) => inner.GetCompactedRevisionAsync(cancellationToken);

    public Task<KeyValue?> GetAsync(string key, long revision = 0, CancellationToken cancellationToken = default) => inner.GetAsync(key, revision, cancellationToken);

    public Task<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, options, cancellationToken);

    public Task<long> CountAsync(string prefix, CancellationToken cancellationToken = default) => inner.CountAsync(prefix, cancellationToken);

    public Task<KeyValue> CreateAsync(string key, byte[] value, WriteOptions? options = null, CancellationToken cancellationToken = default) =>
        inner.CreateAsync(key, value, options, cancellationToken);

    public async Task<KeyValue> UpdateAsync(string key, byte[] value, long expectedModRevision, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        await RaceAsync(key);
        return await inner.UpdateAsync(key, value, expectedModRevision, options, cancellationToken);
    }

    public async Task<DeleteResult> DeleteAsync(string key, long expectedModRevision = 0, CancellationToken cancellationToken = default)
    {
        await RaceAsync(key);
        return await inner.DeleteAsync(key, expectedModRevision, cancellationToken);
    }

    public IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long? sinceRevision, CancellationToken cancellationToken = default) =>
        inner.WatchAsync(prefix, sinceRevision, cancellationToken);

    public Task CompactAsync(long revision, CancellationToken cancellationToken = default) => inner.CompactAsync(revision, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task RaceAsync(string written)
    {
        if (written == key && Interlocked.Exchange(ref _raced, 1) == 0)
        {
            await rival(inner);
        }
    }
}
