using System.Collections.Frozen;
using Navarch.Api;
using Navarch.Api.Resources;

namespace Navarch.ApiServer.Metrics;

/// <summary>
/// The group/resource (<c>pods</c>, <c>deployments.apps</c>) a storage key belongs to, as kube-apiserver labels its etcd
/// metrics; keys outside every served resource are labelled by their first segment. Rebuilt when the catalog changes
/// (custom resources come and go).
/// </summary>
internal sealed class StorageResources(ResourceCatalog catalog)
{
    private (long Version, FrozenDictionary<string, string> ByPrefix) _current = (-1, FrozenDictionary<string, string>.Empty);

    public string Of(string key)
    {
        FrozenDictionary<string, string> byPrefix = Current();
        FrozenDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> lookup = byPrefix.GetAlternateLookup<ReadOnlySpan<char>>();
        ReadOnlySpan<char> span = key;
        // Built-in prefixes have two segments (/registry/pods), custom resources three (/registry/example.com/widgets).
        int first = span.Length > 1 ? span[1..].IndexOf('/') + 1 : -1;
        if (first <= 0)
        {
            return "";
        }

        int second = span[(first + 1)..].IndexOf('/');
        ReadOnlySpan<char> two = second < 0 ? span : span[..(first + 1 + second)];
        if (lookup.TryGetValue(two, out string? resource))
        {
            return resource;
        }

        if (second >= 0)
        {
            int third = span[(first + 2 + second)..].IndexOf('/');
            ReadOnlySpan<char> three = third < 0 ? span : span[..(first + 2 + second + third)];
            if (lookup.TryGetValue(three, out resource))
            {
                return resource;
            }
        }

        return two[(first + 1)..].ToString();
    }

    private FrozenDictionary<string, string> Current()
    {
        (long version, IReadOnlyList<ResourceDefinition> all) = catalog.Current;
        (long Version, FrozenDictionary<string, string> ByPrefix) current = _current;
        if (current.Version != version)
        {
            current = (version, all.DistinctBy(d => d.StoragePrefix).ToFrozenDictionary(d => d.StoragePrefix, d => d.GroupResource, StringComparer.Ordinal));
            _current = current;
        }

        return current.ByPrefix;
    }
}
