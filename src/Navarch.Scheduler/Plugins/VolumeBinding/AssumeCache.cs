using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Scheduler.Plugins.VolumeBinding;

/// <summary>
/// kube-scheduler's AssumeCache over an informer's store: objects the scheduler has decided to write (a volume's
/// claimRef, a claim's selected-node) are seen here as written at once, so the next pod's cycle does not pick the same
/// volume before the API write comes back through the watch. An assumed object is kept while the informer still has the
/// version it was made from; any newer version from the informer replaces it, and <see cref="Restore"/> drops it.
/// </summary>
internal sealed class AssumeCache<T>(Indexer<T> informer, Func<T, string> keyOf)
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ConcurrentDictionary<string, T> _assumed = new(StringComparer.Ordinal);

    /// <summary>The object under <paramref name="key"/>: the assumed one while the informer has not moved past it.</summary>
    public T? Get(string key) => Resolve(key, informer.Get(key));

    /// <summary>Every object, assumed ones in place of the informer's.</summary>
    public IReadOnlyList<T> List() => _assumed.IsEmpty ? informer.List() : [.. informer.List().Select(o => Resolve(keyOf(o), o)!)];

    /// <summary>
    /// Takes <paramref name="changed"/> (a modified copy of the cached object, with its resourceVersion) as the object
    /// until the informer has a newer one. False when the cache has moved past the version it was made from.
    /// </summary>
    public bool Assume(T changed)
    {
        string key = keyOf(changed);
        T? latest = Get(key);
        if (latest is null || latest.Metadata.ResourceVersion != changed.Metadata.ResourceVersion)
        {
            return false;
        }

        _assumed[key] = changed;
        return true;
    }

    /// <summary>Drops what was assumed under <paramref name="key"/>: the informer's object is the object again.</summary>
    public void Restore(string key) => _assumed.TryRemove(key, out _);

    private T? Resolve(string key, T? latest)
    {
        if (!_assumed.TryGetValue(key, out T? assumed))
        {
            return latest;
        }

        if (latest is not null && latest.Metadata.ResourceVersion == assumed.Metadata.ResourceVersion)
        {
            return assumed;
        }

        // The API write (or another change) has come back through the watch: it is the truth now.
        _assumed.TryRemove(new KeyValuePair<string, T>(key, assumed));
        return latest;
    }
}
