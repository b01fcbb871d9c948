using Navarch.Api;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// The REST storage kinds register beside the generic store, as kube-apiserver's storage map (<c>"pods/binding"</c> →
/// BindingREST, <c>"roles"</c> → the policy-based storage): a resource's own REST by its <c>{group/resource}</c>, a
/// subresource's by <c>{group/resource}/{subresource}</c>, and those every resource with the subresource shares
/// (status, scale) by <c>*/{subresource}</c>. A subresource a resource declares without a storage here is advertised
/// but refuses every method; a resource without one is served by its generic store.
/// </summary>
internal sealed class SubresourceRegistry(IReadOnlyDictionary<string, object> storage)
{
    /// <summary>
    /// The storage of <paramref name="subresource"/> of <paramref name="definition"/> (or of the resource itself when
    /// null), or null when none is registered.
    /// </summary>
    public object? Find(ResourceDefinition definition, string? subresource) => subresource is null
        ? storage.GetValueOrDefault(definition.GroupResource)
        : storage.GetValueOrDefault($"{definition.GroupResource}/{subresource}") ?? storage.GetValueOrDefault($"*/{subresource}");
}
