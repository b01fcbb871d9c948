using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Navarch.ApiServer.Registry.Rbac;

/// <summary>
/// The REST storage of an RBAC kind (Kubernetes' policybased.Storage): the kind's generic store, with its
/// <see cref="RbacWritePolicy"/> checked on create, and on update and patch against every object GuaranteedUpdate
/// tries to write (rest.WrapUpdatedObjectInfo) — unless the writer is trusted. Reads, lists, watches and deletes are
/// the generic store's.
/// </summary>
internal sealed class PolicyBasedRest(GenericStore store, RbacWritePolicy policy) : IRestGetter, IRestCreater, IRestUpdater, IRestPatcher
{
    public Task<object> GetAsync(RestRequest request, CancellationToken cancellationToken) =>
        ((IRestGetter)store).GetAsync(request, cancellationToken);

    public async Task<object> CreateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken)
    {
        if (!await policy.TrustedAsync(request, cancellationToken))
        {
            IKubernetesObject<V1ObjectMeta> obj = request.Decode(store.Definition, body.DeepClone());
            obj.Metadata ??= new V1ObjectMeta();
            await policy.CheckAsync(request, obj, null, cancellationToken);
        }

        return await ((IRestCreater)store).CreateAsync(request, body, cancellationToken);
    }

    public async Task<object> UpdateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken) =>
        await store.ReplaceAsync(request, body, UpdateKind.Resource, cancellationToken, await CheckFor(request, cancellationToken));

    public async Task<object> PatchAsync(RestRequest request, PatchBody patch, CancellationToken cancellationToken) =>
        await store.PatchAsync(request, patch, UpdateKind.Resource, cancellationToken, await CheckFor(request, cancellationToken));

    /// <summary>The check every updated object goes through, or null when the writer is trusted.</summary>
    private async Task<UpdatedObjectCheck?> CheckFor(RestRequest request, CancellationToken cancellationToken) =>
        await policy.TrustedAsync(request, cancellationToken) ? null : (obj, old, token) => policy.CheckAsync(request, obj, old, token);
}
