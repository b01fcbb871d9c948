using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace Navarch.Client.Informers;

/// <summary>
/// The informer's in-memory cache keyed by <c>namespace/name</c> (or <c>name</c>), with a namespace index and any
/// custom indexes (client-go's Indexers: a name and a function from an object to its index values). Objects handed
/// out are the cached ones: callers must not mutate them (as with client-go's listers); copy first.
/// </summary>
/// <typeparam name="T">The model type.</typeparam>
public sealed class Indexer<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>The built-in index of objects by namespace.</summary>
    public const string NamespaceIndex = "namespace";

    private readonly ConcurrentDictionary<string, T> _items = new(StringComparer.Ordinal);
    private readonly Lock _indexLock = new();
    private readonly Dictionary<string, Func<T, IEnumerable<string>>> _indexFuncs = new(StringComparer.Ordinal)
    {
        [NamespaceIndex] = o => string.IsNullOrEmpty(o.Metadata.NamespaceProperty) ? [] : [o.Metadata.NamespaceProperty],
    };

    // index name → index value → keys of the objects with that value.
    private readonly Dictionary<string, Dictionary<string, HashSet<string>>> _indexes = new(StringComparer.Ordinal)
    {
        [NamespaceIndex] = new(StringComparer.Ordinal),
    };

    /// <summary>How many objects are cached.</summary>
    public int Count => _items.Count;

    /// <summary>The object with <paramref name="key"/>, or null.</summary>
    public T? Get(string key) => _items.GetValueOrDefault(key);

    /// <summary>Every cached object.</summary>
    public IReadOnlyList<T> List() => _items.Values.ToList();

    /// <summary>The cached objects of one namespace.</summary>
    public IReadOnlyList<T> List(string @namespace) => ByIndex(NamespaceIndex, @namespace);

    /// <summary>
    /// Adds an index: <paramref name="indexFunc"/> gives the values an object is found under. Objects already cached
    /// are indexed at once. Names are unique; the same name twice is an error.
    /// </summary>
    public void AddIndex(string name, Func<T, IEnumerable<string>> indexFunc)
    {
        lock (_indexLock)
        {
            if (!_indexFuncs.TryAdd(name, indexFunc))
            {
                throw new InvalidOperationException($"index {name} already exists");
            }

            var index = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            _indexes[name] = index;
            foreach ((string key, T obj) in _items)
            {
                foreach (string value in indexFunc(obj))
                {
                    Add(index, value, key);
                }
            }
        }
    }

    /// <summary>Whether an index of that name exists.</summary>
    public bool HasIndex(string name)
    {
        lock (_indexLock)
        {
            return _indexFuncs.ContainsKey(name);
        }
    }

    /// <summary>The cached objects <paramref name="name"/> files under <paramref name="value"/>.</summary>
    public IReadOnlyList<T> ByIndex(string name, string value)
    {
        lock (_indexLock)
        {
            if (!_indexes.TryGetValue(name, out Dictionary<string, HashSet<string>>? index))
            {
                throw new InvalidOperationException($"no index named {name}");
            }

            return index.TryGetValue(value, out HashSet<string>? keys)
                ? keys.Select(k => _items.GetValueOrDefault(k)).Where(o => o is not null).Select(o => o!).ToList()
                : [];
        }
    }

    /// <summary>The values of index <paramref name="name"/> that at least one object has.</summary>
    public IReadOnlyList<string> IndexValues(string name)
    {
        lock (_indexLock)
        {
            return _indexes.TryGetValue(name, out Dictionary<string, HashSet<string>>? index) ? index.Keys.ToList() : [];
        }
    }

    internal T? Set(T obj)
    {
        string key = ObjectKeys.KeyOf(obj);
        lock (_indexLock)
        {
            T? old = _items.GetValueOrDefault(key);
            _items[key] = obj;
            Reindex(key, old, obj);
            return old;
        }
    }

    internal T? Remove(string key)
    {
        lock (_indexLock)
        {
            if (!_items.TryRemove(key, out T? old))
            {
                return null;
            }

            Reindex(key, old, null);
            return old;
        }
    }

    internal IReadOnlyCollection<string> Keys => _items.Keys.ToList();

    private void Reindex(string key, T? old, T? current)
    {
        foreach ((string name, Func<T, IEnumerable<string>> func) in _indexFuncs)
        {
            Dictionary<string, HashSet<string>> index = _indexes[name];
            IEnumerable<string> before = old is null ? [] : func(old);
            HashSet<string> after = current is null ? [] : func(current).ToHashSet(StringComparer.Ordinal);
            foreach (string value in before.Where(v => !after.Contains(v)))
            {
                if (index.TryGetValue(value, out HashSet<string>? keys) && keys.Remove(key) && keys.Count == 0)
                {
                    index.Remove(value);
                }
            }

            foreach (string value in after)
            {
                Add(index, value, key);
            }
        }
    }

    private static void Add(Dictionary<string, HashSet<string>> index, string value, string key)
    {
        if (!index.TryGetValue(value, out HashSet<string>? keys))
        {
            index[value] = keys = new HashSet<string>(StringComparer.Ordinal);
        }

        keys.Add(key);
    }
}
