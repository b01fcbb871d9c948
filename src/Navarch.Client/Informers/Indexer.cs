using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace Navarch.Client.Informers;

/// <summary>
/// The informer's in-memory cache keyed by <c>namespace/name</c> (or <c>name</c>), with a namespace index. Objects
/// handed out are the cached ones: callers must not mutate them (as with client-go's listers); copy first.
/// </summary>
/// <typeparam name="T">The model type.</typeparam>
public sealed class Indexer<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ConcurrentDictionary<string, T> _items = new(StringComparer.Ordinal);

    /// <summary>How many objects are cached.</summary>
    public int Count => _items.Count;

    /// <summary>The object with <paramref name="key"/>, or null.</summary>
    public T? Get(string key) => _items.GetValueOrDefault(key);

    /// <summary>Every cached object.</summary>
    public IReadOnlyList<T> List() => _items.Values.ToList();

    /// <summary>The cached objects of one namespace.</summary>
    public IReadOnlyList<T> List(string @namespace) => _items.Values.Where(o => o.Metadata.NamespaceProperty == @namespace).ToList();

    internal T? Set(T obj)
    {
        T? old = null;
        _items.AddOrUpdate(ObjectKeys.KeyOf(obj), obj, (_, previous) =>
        {
            old = previous;
            return obj;
        });
        return old;
    }

    internal T? Remove(string key) => _items.TryRemove(key, out T? old) ? old : null;

    internal IReadOnlyCollection<string> Keys => _items.Keys.ToList();
}
