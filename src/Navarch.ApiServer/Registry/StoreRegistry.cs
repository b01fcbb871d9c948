using System.Collections.Concurrent;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.ApiServer.Admission;
using Navarch.Storage;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// One <see cref="GenericStore"/> per served resource, made when first asked for — so a resource added to the
/// catalog while the server runs is served like a built-in one — with its kind's <see cref="StoreHooks"/>. A
/// resource removed from the catalog loses its store, and its watch cache once no version of it is left.
/// </summary>
internal sealed class StoreRegistry : IDisposable
{
    private readonly ResourceCatalog _catalog;
    private readonly IStore _store;
    private readonly WatchCaches _caches;
    private readonly AdmissionChain _admission;
    private readonly IReadOnlyDictionary<string, StoreHooks> _hooks;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(string Group, string Version, string Plural), GenericStore> _stores = new();

    /// <summary>
    /// Serves <paramref name="catalog"/>'s resources over <paramref name="store"/>; <paramref name="hooks"/> are the
    /// hooks of the kinds that have any, by group/resource ("pods", "events.events.k8s.io").
    /// </summary>
    public StoreRegistry(ResourceCatalog catalog, IStore store, WatchCaches caches, AdmissionChain admission, IReadOnlyDictionary<string, StoreHooks> hooks, TimeProvider time)
    {
        _catalog = catalog;
        _store = store;
        _caches = caches;
        _admission = admission;
        _hooks = hooks;
        _time = time;
        _catalog.Changed += OnCatalogChanged;
    }

    /// <summary>The store of <paramref name="definition"/>.</summary>
    public GenericStore For(ResourceDefinition definition)
    {
        var key = (definition.Group, definition.Version, definition.Plural);
        GenericStore store = _stores.GetOrAdd(key, _ => Create(definition));
        if (!ReferenceEquals(store.Definition, definition))
        {
            // The definition was replaced (a custom resource's new schema): serve the new one from now on.
            store = Create(definition);
            _stores[key] = store;
        }

        return store;
    }

    /// <summary>The store of a built-in resource.</summary>
    public GenericStore For(string group, string version, string plural) =>
        For(_catalog.Find(group, version, plural) ?? throw new InvalidOperationException($"{group}/{version}/{plural} is not served"));

    public void Dispose() => _catalog.Changed -= OnCatalogChanged;

    private GenericStore Create(ResourceDefinition definition) =>
        new(definition, _store, _caches, _admission, _hooks.GetValueOrDefault(definition.GroupResource) ?? StoreHooks.Default, _time);

    private void OnCatalogChanged(object? sender, ResourceCatalogChangedEventArgs change)
    {
        if (change.Removed is not { } removed || change.Added is not null)
        {
            return;
        }

        _stores.TryRemove((removed.Group, removed.Version, removed.Plural), out _);
        if (!_catalog.All.Any(d => d.StoragePrefix == removed.StoragePrefix))
        {
            _caches.Remove(removed);
        }
    }
}
