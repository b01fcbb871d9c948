using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Kubelet.Cache;

/// <summary>
/// The API objects pods refer to — ConfigMaps and Secrets (env, envFrom, volumes) and Services (the Service
/// environment variables) — read from shared informers over the whole cluster instead of a GET per container start:
/// the kubelet's configmap and secret managers and its service lister in one. An object the cache has not seen (yet)
/// reads as missing, and the caller retries on its next sync. Objects handed out are the cached ones: never mutate.
/// Under RBAC this needs list and watch on configmaps, secrets and services (the system:node role's reads).
/// </summary>
internal sealed class PodObjectCache
{
    private readonly Informer<V1ConfigMap> _configMaps;
    private readonly Informer<V1Secret> _secrets;
    private readonly Informer<V1Service> _services;

    /// <summary>Takes the three informers from <paramref name="informers"/> (start and sync it before pods are synced).</summary>
    public PodObjectCache(SharedInformerFactory informers)
    {
        _configMaps = informers.Get<V1ConfigMap>();
        _secrets = informers.Get<V1Secret>();
        _services = informers.Get<V1Service>();
    }

    /// <summary>The ConfigMap, or null when the cache does not have it.</summary>
    public V1ConfigMap? ConfigMap(string @namespace, string name) => _configMaps.Store.Get($"{@namespace}/{name}");

    /// <summary>The Secret, or null when the cache does not have it.</summary>
    public V1Secret? Secret(string @namespace, string name) => _secrets.Store.Get($"{@namespace}/{name}");

    /// <summary>The Service, or null when the cache does not have it.</summary>
    public V1Service? Service(string @namespace, string name) => _services.Store.Get($"{@namespace}/{name}");

    /// <summary>Every Service of a namespace.</summary>
    public IReadOnlyList<V1Service> Services(string @namespace) => _services.Store.List(@namespace);
}
