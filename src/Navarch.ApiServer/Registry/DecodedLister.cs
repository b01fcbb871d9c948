using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Storage;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// The objects of one resource as an informer's lister holds them, read from its watch cache: a change applies to the
/// next read, and a list is decoded again only when the cache has moved, so readers on the request path (admission)
/// never go to the store.
/// </summary>
internal sealed class DecodedLister<T>(WatchCaches caches, ResourceDefinition definition)
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (long Revision, IReadOnlyList<T> Items)> _decoded = new(StringComparer.Ordinal);

    /// <summary>Every object (in <paramref name="ns"/>, when given), in key order.</summary>
    public async Task<IReadOnlyList<T>> ListAsync(string? ns, CancellationToken cancellationToken)
    {
        string prefix = definition.ListPrefix(ns);
        (List<KeyValue> items, long revision) = await caches.For(definition).ListAsync(prefix, cancellationToken);
        lock (_lock)
        {
            if (_decoded.TryGetValue(prefix, out var cached) && cached.Revision == revision)
            {
                return cached.Items;
            }
        }

        List<T> decoded = items.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (T)ObjectCodec.Decode(definition, kv)).ToList();
        lock (_lock)
        {
            _decoded[prefix] = (revision, decoded);
        }

        return decoded;
    }

    /// <summary>The object <paramref name="ns"/>/<paramref name="name"/>, or null.</summary>
    public async Task<T?> GetAsync(string? ns, string name, CancellationToken cancellationToken) =>
        (await ListAsync(ns, cancellationToken)).FirstOrDefault(o => o.Metadata.Name == name);
}
