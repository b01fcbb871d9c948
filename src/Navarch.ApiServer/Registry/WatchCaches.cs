using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Navarch.Api;
using Navarch.Storage;

namespace Navarch.ApiServer.Registry;

/// <summary>One <see cref="WatchCache"/> per stored resource, started on first use.</summary>
internal sealed class WatchCaches(IStore store, ILoggerFactory loggerFactory) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, WatchCache> _caches = new(StringComparer.Ordinal);

    public WatchCache For(ResourceDefinition definition) =>
        _caches.GetOrAdd(definition.StoragePrefix + "/", prefix => new WatchCache(store, prefix, loggerFactory.CreateLogger<WatchCache>()));

    public async ValueTask DisposeAsync()
    {
        foreach (WatchCache cache in _caches.Values)
        {
            await cache.DisposeAsync();
        }
    }
}
