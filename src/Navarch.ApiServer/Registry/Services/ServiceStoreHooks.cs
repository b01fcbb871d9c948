using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Storage;

namespace Navarch.ApiServer.Registry.Services;

/// <summary>
/// Service storage (pkg/registry/core/service/storage): a new Service gets its cluster IP and node ports from the
/// <see cref="ServiceAllocator"/> before it is written, gives them back when it is not written after all (a
/// failure, or a dry run), and releases them once it is deleted.
/// </summary>
internal sealed class ServiceStoreHooks(IStore store, ServiceAllocator allocator) : StoreHooks
{
    /// <inheritdoc />
    public override bool ReturnDeletedObject => true;

    public override async ValueTask<Func<bool, ValueTask>> BeginCreateAsync(IKubernetesObject<V1ObjectMeta> obj, string key, CancellationToken cancellationToken)
    {
        if (obj is not V1Service service)
        {
            return NothingToFinish;
        }

        if (await store.GetAsync(key, 0, cancellationToken) is not null)
        {
            // Say AlreadyExists before allocating: the existing Service holds the addresses this one would ask for.
            throw ApiErrors.AlreadyExists("services", service.Metadata.Name);
        }

        List<string> taken = await allocator.AllocateAsync(service, cancellationToken);
        return async stored =>
        {
            if (!stored && taken.Count > 0)
            {
                await allocator.ReleaseAsync(service, CancellationToken.None);
            }
        };
    }

    public override async ValueTask AfterDeleteAsync(IKubernetesObject<V1ObjectMeta> obj, CancellationToken cancellationToken)
    {
        if (obj is V1Service service)
        {
            await allocator.ReleaseAsync(service, CancellationToken.None);
        }
    }
}
