using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Navarch.Api;
using Navarch.Storage;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// One <see cref="WatchCache"/> per stored resource, made and started on first use — for resources served from the
/// start and those added later alike — and stopped when its resource is no longer served.
/// </summary>
internal sealed class WatchCaches(IStore store, ILoggerFactory loggerFactory) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, WatchCache> _caches = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<Task> _stopping = [];

    public WatchCache For(ResourceDefinition definition) =>
        _caches.GetOrAdd(definition.StoragePrefix + "/", prefix => new WatchCache(store, prefix, loggerFactory.CreateLogger<WatchCache>()));

    /// <summary>Stops the cache of <paramref name="definition"/>'s storage (its watchers' streams end); disposing waits for it.</summary>
    public void Remove(ResourceDefinition definition)
    {
        if (_caches.TryRemove(definition.StoragePrefix + "/", out WatchCache? cache))
        {
            _stopping.Add(cache.DisposeAsync().AsTask());
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (WatchCache cache in _caches.Values)
        {
            await cache.DisposeAsync();
        }

        await Task.WhenAll(_stopping);
    }
}
