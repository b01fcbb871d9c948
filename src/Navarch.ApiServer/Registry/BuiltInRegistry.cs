using Navarch.ApiServer.Http;
using Navarch.ApiServer.Registry.Events;
using Navarch.ApiServer.Registry.Namespaces;
using Navarch.ApiServer.Registry.Pods;
using Navarch.ApiServer.Registry.ServiceAccounts;
using Navarch.ApiServer.Registry.Services;
using Navarch.ApiServer.ServiceAccounts;
using Navarch.Storage;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// Where the built-in kinds' own storage code is registered — the one list to extend when a kind gains hooks or a
/// subresource (the code itself lives in the kind's folder).
/// </summary>
internal static class BuiltInRegistry
{
    /// <summary>The store hooks of the kinds whose storage is not purely generic, by group/resource.</summary>
    public static IReadOnlyDictionary<string, StoreHooks> Hooks(IStore store, ServiceAllocator allocator)
    {
        var events = new EventStoreHooks();
        return new Dictionary<string, StoreHooks>(StringComparer.Ordinal)
        {
            ["pods"] = new PodStoreHooks(),
            ["services"] = new ServiceStoreHooks(store, allocator),
            ["namespaces"] = new NamespaceStoreHooks(),
            ["events"] = events,
            ["events.events.k8s.io"] = events,
        };
    }

    /// <summary>The subresources' REST storage.</summary>
    public static SubresourceRegistry Subresources(StoreRegistry stores, KubeletProxy kubelets, ServiceAccountTokens tokens, TimeProvider time)
    {
        var locations = new KubeletLocations(stores, kubelets);
        var exec = new ExecRest(locations);
        var proxy = new ProxyRest();
        return new SubresourceRegistry(new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["*/status"] = new StatusRest(),
            ["*/scale"] = new ScaleRest(),
            ["pods/binding"] = new BindingRest(time),
            ["pods/eviction"] = new EvictionRest(),
            ["pods/log"] = new LogRest(locations),
            ["pods/exec"] = exec,
            ["pods/attach"] = exec,
            ["pods/portforward"] = exec,
            ["pods/proxy"] = proxy,
            ["services/proxy"] = proxy,
            ["nodes/proxy"] = proxy,
            ["serviceaccounts/token"] = new TokenRest(tokens),
            ["namespaces/finalize"] = new FinalizeRest(),
        });
    }
}
