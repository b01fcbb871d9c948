using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Navarch.Client.Informers;

/// <summary>
/// One informer per resource type per process, shared by every controller that asks for it; each resyncs every
/// <paramref name="defaultResync"/> (zero: never).
/// </summary>
public sealed class SharedInformerFactory(Kubernetes client, ILoggerFactory? loggerFactory = null, TimeProvider? time = null, TimeSpan defaultResync = default)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Type, IInformer> _informers = [];
    private readonly Dictionary<IInformer, Task> _running = [];

    /// <summary>The shared informer of <typeparamref name="T"/> over all namespaces.</summary>
    public Informer<T> Get<T>()
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_lock)
        {
            if (!_informers.TryGetValue(typeof(T), out IInformer? informer))
            {
                _informers[typeof(T)] = informer = new Informer<T>(client, null, null, time, loggerFactory?.CreateLogger<Informer<T>>()) { ResyncPeriod = defaultResync };
            }

            return (Informer<T>)informer;
        }
    }

    /// <summary>Starts every informer created so far that is not running yet.</summary>
    public void Start(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            foreach (IInformer informer in _informers.Values.Where(i => !_running.ContainsKey(i)))
            {
                _running[informer] = informer.RunAsync(cancellationToken);
            }
        }
    }

    /// <summary>Waits until every informer has synced.</summary>
    public Task WaitForCacheSyncAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.WhenAll(_informers.Values.Select(i => i.WaitForSyncAsync(cancellationToken)));
        }
    }

    /// <summary>Completes when every started informer has stopped.</summary>
    public Task StoppedAsync()
    {
        lock (_lock)
        {
            return Task.WhenAll(_running.Values);
        }
    }
}
