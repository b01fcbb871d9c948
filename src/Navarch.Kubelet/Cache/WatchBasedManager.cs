using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Client.Informers;

namespace Navarch.Kubelet.Cache;

/// <summary>
/// The kubelet's watch-based manager of one kind (pkg/kubelet/util/manager/watch_based_manager.go), for ConfigMaps or
/// Secrets: each object a pod on this node refers to is watched on its own — a list and watch in the pod's namespace
/// with <c>fieldSelector=metadata.name=NAME</c>, which is all the Node authorizer lets a node read — while at least one
/// registered pod refers to it (references are counted by pod UID), and the watch stops with the last one. An object
/// that is not registered, not listed yet, or missing reads as null. Objects handed out are the cached ones: never
/// mutate.
/// </summary>
internal sealed class WatchBasedManager<T>(Kubernetes client, Func<V1Pod, IEnumerable<string>> referencedNames, ILoggerFactory loggers, TimeProvider time) : IAsyncDisposable
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Namespace, string Name), Item> _items = [];
    private readonly Dictionary<string, HashSet<(string Namespace, string Name)>> _pods = new(StringComparer.Ordinal);
    private readonly List<Task> _stopped = [];
    private bool _disposed;

    /// <summary>How many objects are watched now (for tests).</summary>
    public int Watched
    {
        get
        {
            lock (_lock)
            {
                return _items.Count;
            }
        }
    }

    /// <summary>Watches what <paramref name="pod"/> refers to now, and stops watching what it no longer does.</summary>
    public void RegisterPod(V1Pod pod)
    {
        string ns = pod.Metadata.NamespaceProperty ?? "";
        HashSet<(string, string)> now = [.. referencedNames(pod).Select(name => (ns, name))];
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            HashSet<(string, string)> before = _pods.GetValueOrDefault(pod.Metadata.Uid) ?? [];
            _pods[pod.Metadata.Uid] = now;
            foreach ((string, string) key in now.Except(before))
            {
                AddReference(key, pod.Metadata.Uid);
            }

            foreach ((string, string) key in before.Except(now))
            {
                DeleteReference(key, pod.Metadata.Uid);
            }
        }
    }

    /// <summary>Drops the references of the pod with <paramref name="uid"/>.</summary>
    public void UnregisterPod(string uid)
    {
        lock (_lock)
        {
            if (_pods.Remove(uid, out HashSet<(string, string)>? keys))
            {
                foreach ((string, string) key in keys)
                {
                    DeleteReference(key, uid);
                }
            }
        }
    }

    /// <summary>The object, or null when it is not registered, not listed yet, or does not exist.</summary>
    public T? Get(string ns, string name)
    {
        lock (_lock)
        {
            return _items.TryGetValue((ns, name), out Item? item) ? item.Informer.Store.Get($"{ns}/{name}") : null;
        }
    }

    /// <summary>Completes once every object <paramref name="pod"/> registered has been listed.</summary>
    public Task WaitForSyncAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            IEnumerable<Item> items = (_pods.GetValueOrDefault(pod.Metadata.Uid) ?? []).Select(k => _items.GetValueOrDefault(k)).OfType<Item>();
            return Task.WhenAll(items.Select(i => i.Informer.WaitForSyncAsync(cancellationToken)));
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (Item item in _items.Values)
            {
                Stop(item);
            }

            _items.Clear();
            _pods.Clear();
        }

        await Task.WhenAll(_stopped).ConfigureAwait(false);
    }

    private void AddReference((string Namespace, string Name) key, string uid)
    {
        if (!_items.TryGetValue(key, out Item? item))
        {
            var informer = new Informer<T>(client, key.Namespace, time: time, logger: loggers.CreateLogger<Informer<T>>(), fieldSelector: $"metadata.name={key.Name}");
            var stop = new CancellationTokenSource();
            _items[key] = item = new Item(informer, stop, Task.Run(() => informer.RunAsync(stop.Token), CancellationToken.None));
        }

        item.Pods.Add(uid);
    }

    private void DeleteReference((string Namespace, string Name) key, string uid)
    {
        if (_items.TryGetValue(key, out Item? item) && item.Pods.Remove(uid) && item.Pods.Count == 0)
        {
            _items.Remove(key);
            Stop(item);
        }
    }

    private void Stop(Item item)
    {
        item.Stop.Cancel();
        _stopped.RemoveAll(t => t.IsCompleted);
        _stopped.Add(item.Running.ContinueWith(_ => item.Stop.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default));
    }

    private sealed record Item(Informer<T> Informer, CancellationTokenSource Stop, Task Running)
    {
        public HashSet<string> Pods { get; } = new(StringComparer.Ordinal);
    }
}
