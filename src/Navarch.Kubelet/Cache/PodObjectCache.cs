using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Api.Pods;
using Navarch.Client.Informers;

namespace Navarch.Kubelet.Cache;

/// <summary>
/// The API objects pods refer to, read from memory instead of a GET per container start: ConfigMaps and Secrets
/// (env, envFrom, volumes) through a <see cref="WatchBasedManager{T}"/> each — the kubelet's configmap and secret
/// managers, watching only the objects the registered pods name, since the Node authorizer lets a node read nothing
/// else — and Services (the Service environment variables) through an informer over all of them (the kubelet's service
/// lister; every node may list Services). A pod is registered by its worker, which waits for its objects to be listed
/// before reading them; one not there (yet) reads as missing and the caller retries at its next sync. Objects handed out
/// are the cached ones: never mutate.
/// </summary>
internal sealed class PodObjectCache : IAsyncDisposable
{
    // How long a sync waits for a newly registered object's first listing (the watch-based manager's Get waits a second).
    private static readonly TimeSpan SyncWait = TimeSpan.FromSeconds(1);

    private readonly WatchBasedManager<V1ConfigMap> _configMaps;
    private readonly WatchBasedManager<V1Secret> _secrets;
    private readonly Informer<V1Service> _services;
    private readonly TimeProvider _time;

    /// <summary>
    /// Watches ConfigMaps and Secrets through <paramref name="client"/> and takes the Services informer from
    /// <paramref name="informers"/> (start and sync it before pods are synced).
    /// </summary>
    public PodObjectCache(Kubernetes client, SharedInformerFactory informers, ILoggerFactory? loggers = null, TimeProvider? time = null)
    {
        loggers ??= NullLoggerFactory.Instance;
        _time = time ?? TimeProvider.System;
        _configMaps = new WatchBasedManager<V1ConfigMap>(client, PodReferences.ConfigMapNames, loggers, _time);
        _secrets = new WatchBasedManager<V1Secret>(client, PodReferences.SecretNames, loggers, _time);
        _services = informers.Get<V1Service>();
    }

    /// <summary>How many ConfigMaps and Secrets are watched now (for tests).</summary>
    public int Watched => _configMaps.Watched + _secrets.Watched;

    /// <summary>Watches the ConfigMaps and Secrets <paramref name="pod"/> refers to (again after a change).</summary>
    public void RegisterPod(V1Pod pod)
    {
        _configMaps.RegisterPod(pod);
        _secrets.RegisterPod(pod);
    }

    /// <summary>Stops watching what only the pod with <paramref name="uid"/> referred to.</summary>
    public void UnregisterPod(string uid)
    {
        _configMaps.UnregisterPod(uid);
        _secrets.UnregisterPod(uid);
    }

    /// <summary>Waits (a second at most) until the objects <paramref name="pod"/> registered have been listed.</summary>
    public async Task WaitForPodAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        Task synced = Task.WhenAll(_configMaps.WaitForSyncAsync(pod, cancellationToken), _secrets.WaitForSyncAsync(pod, cancellationToken));
        if (synced.IsCompleted)
        {
            return;
        }

        try
        {
            await synced.WaitAsync(SyncWait, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Not listed yet (not allowed yet, or the server is slow): what is missing reads as missing, and the next sync retries.
        }
    }

    /// <summary>The ConfigMap, or null when it is not (yet) known.</summary>
    public V1ConfigMap? ConfigMap(string @namespace, string name) => _configMaps.Get(@namespace, name);

    /// <summary>The Secret, or null when it is not (yet) known.</summary>
    public V1Secret? Secret(string @namespace, string name) => _secrets.Get(@namespace, name);

    /// <summary>The Service, or null when the cache does not have it.</summary>
    public V1Service? Service(string @namespace, string name) => _services.Store.Get($"{@namespace}/{name}");

    /// <summary>Every Service of a namespace.</summary>
    public IReadOnlyList<V1Service> Services(string @namespace) => _services.Store.List(@namespace);

    public async ValueTask DisposeAsync()
    {
        await _configMaps.DisposeAsync().ConfigureAwait(false);
        await _secrets.DisposeAsync().ConfigureAwait(false);
    }
}
