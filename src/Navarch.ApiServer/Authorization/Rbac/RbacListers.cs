using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.ApiServer.Registry;
using Navarch.Storage;

namespace Navarch.ApiServer.Authorization.Rbac;

/// <summary>
/// The Roles, ClusterRoles and bindings the RBAC code reads (the listers kube-apiserver's authorizer is built on), from
/// the watch caches: a change applies to the next request. Each list is decoded again only when its cache moved.
/// </summary>
internal sealed class RbacListers(WatchCaches caches, ResourceCatalog catalog)
{
    private const string Group = "rbac.authorization.k8s.io";

    private readonly Dictionary<string, (long Revision, object Items)> _decoded = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public Task<List<V1ClusterRoleBinding>> ClusterRoleBindingsAsync(CancellationToken cancellationToken) =>
        ListAsync<V1ClusterRoleBinding>("clusterrolebindings", null, cancellationToken);

    public Task<List<V1RoleBinding>> RoleBindingsAsync(string ns, CancellationToken cancellationToken) =>
        ListAsync<V1RoleBinding>("rolebindings", ns, cancellationToken);

    public Task<List<V1ClusterRole>> ClusterRolesAsync(CancellationToken cancellationToken) =>
        ListAsync<V1ClusterRole>("clusterroles", null, cancellationToken);

    public async Task<V1ClusterRole?> ClusterRoleAsync(string name, CancellationToken cancellationToken) =>
        (await ClusterRolesAsync(cancellationToken)).Find(r => r.Metadata.Name == name);

    public async Task<V1Role?> RoleAsync(string ns, string name, CancellationToken cancellationToken) =>
        (await ListAsync<V1Role>("roles", ns, cancellationToken)).Find(r => r.Metadata.Name == name);

    private async Task<List<T>> ListAsync<T>(string plural, string? ns, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ResourceDefinition definition = catalog.Find(Group, "v1", plural)!;
        string prefix = definition.ListPrefix(ns);
        (List<KeyValue> items, long revision) = await caches.For(definition).ListAsync(prefix, cancellationToken);
        lock (_lock)
        {
            if (_decoded.TryGetValue(prefix, out var cached) && cached.Revision == revision)
            {
                return (List<T>)cached.Items;
            }
        }

        var decoded = items.Select(kv => (T)ObjectCodec.Decode(definition, kv)).ToList();
        lock (_lock)
        {
            _decoded[prefix] = (revision, decoded);
        }

        return decoded;
    }
}
