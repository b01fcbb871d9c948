using Navarch.Api;
using Navarch.Api.Resources;

namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>
/// Which resource a storage key belongs to, from the catalog's storage prefixes (<c>/registry/secrets</c>,
/// <c>/registry/services/specs</c>, <c>/registry/&lt;group&gt;/&lt;plural&gt;</c> for custom resources). Versions stored
/// under one prefix (events and events.k8s.io, autoscaling v1 and v2) count as the first in the catalog, the stored
/// one, as kube-apiserver configures encryption per storage resource. Rebuilt when the catalog changes.
/// </summary>
internal sealed class StorageResources(ResourceCatalog catalog)
{
    private const int MaxPrefixSegments = 4;
    private volatile Snapshot? _snapshot;

    /// <summary>The resource whose storage prefix <paramref name="key"/> is under, or null (not an API object's key).</summary>
    public GroupResource? Find(string key)
    {
        Snapshot snapshot = Current();
        var lookup = snapshot.ByPrefix.GetAlternateLookup<ReadOnlySpan<char>>();
        int slash = 0;
        for (int segments = 0; segments < MaxPrefixSegments; segments++)
        {
            slash = key.IndexOf('/', slash + 1);
            if (slash < 0)
            {
                return null;
            }

            if (lookup.TryGetValue(key.AsSpan(0, slash), out GroupResource resource))
            {
                return resource;
            }
        }

        return null;
    }

    private Snapshot Current()
    {
        Snapshot? snapshot = _snapshot;
        (long version, IReadOnlyList<ResourceDefinition> all) = catalog.Current;
        if (snapshot is not null && snapshot.Version == version)
        {
            return snapshot;
        }

        var byPrefix = new Dictionary<string, GroupResource>(StringComparer.Ordinal);
        foreach (ResourceDefinition definition in all)
        {
            byPrefix.TryAdd(definition.StoragePrefix, new GroupResource(definition.Group, definition.Plural));
        }

        return _snapshot = new Snapshot(version, byPrefix);
    }

    private sealed record Snapshot(long Version, Dictionary<string, GroupResource> ByPrefix);
}
