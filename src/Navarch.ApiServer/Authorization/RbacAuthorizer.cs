using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.ApiServer.Registry;
using Navarch.Storage;

namespace Navarch.ApiServer.Authorization;

/// <summary>
/// Kubernetes' RBAC authorizer (<c>--authorization-mode RBAC</c>): members of <c>system:masters</c> may do anything;
/// anyone else only what a ClusterRoleBinding (everywhere) or a RoleBinding (in its namespace) grants them through
/// the rules of the Role or ClusterRole it names — verbs, API groups, resources (<c>pods/log</c> for a subresource,
/// <c>*</c> and <c>*/scale</c> wildcards) and resource names. Subjects are users, groups and service accounts.
/// Roles and bindings are read from the watch caches, so a change applies to the next request.
/// </summary>
internal sealed class RbacAuthorizer(WatchCaches caches, ResourceCatalog catalog) : IAuthorizer
{
    /// <summary>The group whose members bypass authorization, as in Kubernetes.</summary>
    public const string Superusers = "system:masters";

    private readonly Dictionary<string, (long Revision, object Items)> _decoded = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public async ValueTask<string?> AuthorizeAsync(RequestAttributes request, CancellationToken cancellationToken)
    {
        if (request.User.Groups.Contains(Superusers))
        {
            return null;
        }

        List<V1ClusterRole> clusterRoles = await ListAsync<V1ClusterRole>("clusterroles", null, cancellationToken);
        foreach (V1ClusterRoleBinding binding in await ListAsync<V1ClusterRoleBinding>("clusterrolebindings", null, cancellationToken))
        {
            if (binding.RoleRef?.Kind == "ClusterRole" && Binds(binding.Subjects, request.User)
                && clusterRoles.FirstOrDefault(r => r.Metadata.Name == binding.RoleRef.Name) is { } role
                && Allows(role.Rules, request))
            {
                return null;
            }
        }

        if (request.Namespace is { } ns)
        {
            List<V1Role>? roles = null;
            foreach (V1RoleBinding binding in await ListAsync<V1RoleBinding>("rolebindings", ns, cancellationToken))
            {
                if (!Binds(binding.Subjects, request.User))
                {
                    continue;
                }

                IList<V1PolicyRule>? rules = binding.RoleRef?.Kind switch
                {
                    "ClusterRole" => clusterRoles.FirstOrDefault(r => r.Metadata.Name == binding.RoleRef.Name)?.Rules,
                    "Role" => (roles ??= await ListAsync<V1Role>("roles", ns, cancellationToken)).FirstOrDefault(r => r.Metadata.Name == binding.RoleRef.Name)?.Rules,
                    _ => null,
                };
                if (Allows(rules, request))
                {
                    return null;
                }
            }
        }

        // Kubernetes' RBAC gives no reason beyond the request itself.
        return "";
    }

    private static bool Binds(IList<Rbacv1Subject>? subjects, Http.UserInfo user) =>
        subjects?.Any(s => s.Kind switch
        {
            "User" => s.Name == user.Name,
            "Group" => user.Groups.Contains(s.Name),
            "ServiceAccount" => user.Name == $"system:serviceaccount:{s.NamespaceProperty}:{s.Name}",
            _ => false,
        }) == true;

    /// <summary>Whether one of <paramref name="rules"/> covers the request (rbac.RulesAllow); the Node authorizer reads NodeRules with it.</summary>
    internal static bool Allows(IEnumerable<V1PolicyRule>? rules, RequestAttributes request)
    {
        if (request.NonResourcePath is { } path)
        {
            return rules?.Any(rule => Has(rule.Verbs, request.Verb)
                && rule.NonResourceURLs?.Any(u => u == "*" || u == path || (u.EndsWith('*') && path.StartsWith(u[..^1], StringComparison.Ordinal))) == true) == true;
        }

        string resource = request.Subresource is { } sub ? $"{request.Resource}/{sub}" : request.Resource;
        return rules?.Any(rule =>
            Has(rule.Verbs, request.Verb)
            && Has(rule.ApiGroups, request.Group)
            && (rule.Resources?.Any(r => r == "*" || r == resource || (request.Subresource is { } s && r == "*/" + s)) == true)
            && (rule.ResourceNames is not { Count: > 0 } || (request.Name is { } name && rule.ResourceNames.Contains(name)))) == true;
    }

    private static bool Has(IList<string>? values, string value) => values?.Any(v => v == "*" || v == value) == true;

    /// <summary>The decoded objects of a kind (in one namespace, or all), decoded again only when the cache moved.</summary>
    private async Task<List<T>> ListAsync<T>(string plural, string? ns, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ResourceDefinition definition = catalog.Find("rbac.authorization.k8s.io", "v1", plural)!;
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
