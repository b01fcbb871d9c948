using System.Diagnostics;
using System.Runtime.CompilerServices;
using Navarch.Storage;

namespace Navarch.ApiServer.Metrics;

/// <summary>
/// Times every request to the store as kube-apiserver times its etcd requests (etcd_request_duration_seconds by
/// operation and group/resource); everything else passes through unchanged.
/// </summary>
internal sealed class MeteredStore(IStore inner, ApiServerMetrics metrics) : IStore
{
    /// <summary>The store underneath, returned to its owner when the server stops.</summary>
    public IStore Inner => inner;

    public string Backend => inner.Backend;

    public Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default) => inner.GetCurrentRevisionAsync(cancellationToken);

    public Task<long> GetCompactedRevisionAsync(CancellationToken cancellationToken = default) => inner.GetCompactedRevisionAsync(cancellationToken);

    public async Task<KeyValue?> GetAsync(string key, long revision = 0, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.GetAsync(key, revision, cancellationToken);
        }
        finally
        {
            metrics.RecordStorage("get", key, start);
        }
    }

    public async Task<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.ListAsync(prefix, options, cancellationToken);
        }
        finally
        {
            metrics.RecordStorage("list", prefix, start);
        }
    }

    public async Task<long> CountAsync(string prefix, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.CountAsync(prefix, cancellationToken);
        }
        finally
        {
            metrics.RecordStorage("listWithCount", prefix, start);
        }
    }

    public async Task<KeyValue> CreateAsync(string key, byte[] value, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.CreateAsync(key, value, options, cancellationToken);
        }
        finally
        {
            metrics.RecordStorage("create", key, start);
        }
    }

    public async Task<KeyValue> UpdateAsync(string key, byte[] value, long expectedModRevision, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.UpdateAsync(key, value, expectedModRevision, options, cancellationToken);
        }
        finally
        {
            metrics.RecordStorage("update", key, start);
        }
    }

    public async Task<DeleteResult> DeleteAsync(string key, long expectedModRevision = 0, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.DeleteAsync(key, expectedModRevision, cancellationToken);
        }
        finally
        {
            metrics.RecordStorage("delete", key, start);
        }
    }

    public IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long? sinceRevision, CancellationToken cancellationToken = default) =>
        inner.WatchAsync(prefix, sinceRevision, cancellationToken);

    public Task CompactAsync(long revision, CancellationToken cancellationToken = default) => inner.CompactAsync(revision, cancellationToken);

    /// <summary>The owner closes the store it opened; the decorator owns nothing.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
