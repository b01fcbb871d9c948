using Navarch.Api;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// The REST storage of each subresource, as kube-apiserver's storage map (<c>"pods/binding"</c> → BindingREST):
/// kind-specific ones by <c>{group/resource}/{subresource}</c>, and those every resource with the subresource
/// shares (status, scale) by <c>*/{subresource}</c>. A subresource a resource declares without a storage here is
/// advertised but refuses every method.
/// </summary>
internal sealed class SubresourceRegistry(IReadOnlyDictionary<string, object> storage)
{
    /// <summary>The storage of <paramref name="subresource"/> of <paramref name="definition"/>, or null when none serves it.</summary>
    public object? Find(ResourceDefinition definition, string subresource) =>
        storage.GetValueOrDefault($"{definition.GroupResource}/{subresource}") ?? storage.GetValueOrDefault($"*/{subresource}");
}
