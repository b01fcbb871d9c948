using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.ApiServer.Registry;
using Navarch.Storage;

namespace Navarch.ApiServer.Admission;

/// <summary>
/// The objects of one resource an admission plugin reads (LimitRanges, ResourceQuotas, PriorityClasses,
/// RuntimeClasses), from its watch cache as Kubernetes' plugins read informer listers: no store read per request.
/// A namespace's (or the cluster's) list is decoded again only when the cache moved.
/// </summary>
internal sealed class ObjectLister<T>(WatchCaches caches, ResourceDefinition definition)
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Dictionary<string, (long Revision, List<T> Items)> _decoded = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>The resource listed.</summary>
    public ResourceDefinition Definition => definition;

    /// <summary>The objects in <paramref name="namespace"/> (every one, for a cluster-scoped resource: null). Callers must not change them.</summary>
    public async Task<List<T>> ListAsync(string? @namespace, CancellationToken cancellationToken)
    {
        string prefix = definition.ListPrefix(@namespace);
        (List<KeyValue> items, long revision) = await caches.For(definition).ListAsync(prefix, cancellationToken);
        lock (_lock)
        {
            if (_decoded.TryGetValue(prefix, out var cached) && cached.Revision == revision)
            {
                return cached.Items;
            }
        }

        var decoded = items.Select(kv => (T)ObjectCodec.Decode(definition, kv)).ToList();
        lock (_lock)
        {
            _decoded[prefix] = (revision, decoded);
        }

        return decoded;
    }

    /// <summary>The object named <paramref name="name"/>, or null.</summary>
    public async Task<T?> GetAsync(string? @namespace, string name, CancellationToken cancellationToken) =>
        (await ListAsync(@namespace, cancellationToken)).Find(o => o.Metadata.Name == name);
}
