using k8s;
using k8s.Models;
using Navarch.Storage;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// Where one kind's storage differs from the generic store — the hooks and strategies k8s.io/apiserver's
/// registry <c>Store</c> is configured with (BeginCreate, AfterDelete, the graceful-delete strategy,
/// ShouldDeleteDuringUpdate, TTL). The defaults are the generic behaviour; a kind that needs more overrides them
/// in its own folder (<c>Registry/Pods</c>, <c>Registry/Services</c>, ...).
/// </summary>
internal abstract class StoreHooks
{
    /// <summary>The finish of a create that needs nothing done.</summary>
    protected static readonly Func<bool, ValueTask> NothingToFinish = _ => ValueTask.CompletedTask;

    /// <summary>The generic behaviour, for every kind without hooks of its own.</summary>
    public static StoreHooks Default { get; } = new DefaultHooks();

    /// <summary>The generic behaviour, but a delete answers with the object (for kinds with no other hooks).</summary>
    public static StoreHooks ReturningDeletedObject { get; } = new DeletedObjectHooks();

    /// <summary>
    /// Whether a delete that removes the object at once answers with the object instead of a Success Status (the
    /// registry Store's ReturnDeletedObject: pods, services, namespaces, service accounts, ...). A delete that only
    /// marks the object (finalizers, a grace period) answers with the object whatever this says.
    /// </summary>
    public virtual bool ReturnDeletedObject => false;

    /// <summary>How long objects live (a store lease), for kinds that expire; null for those that stay.</summary>
    public virtual WriteOptions? WriteOptions => null;

    /// <summary>
    /// Runs after admission and validation, before the object is written (apiserver's BeginCreate): may refuse the
    /// create or reserve what the object needs. The returned finish runs once the create is decided — true when the
    /// object was stored, false when it was not (a failure, or a dry run) — to keep or release the reservation.
    /// </summary>
    public virtual ValueTask<Func<bool, ValueTask>> BeginCreateAsync(IKubernetesObject<V1ObjectMeta> obj, string key, CancellationToken cancellationToken) =>
        ValueTask.FromResult(NothingToFinish);

    /// <summary>Runs once an object is gone from the store (apiserver's AfterDelete), with its last state.</summary>
    public virtual ValueTask AfterDeleteAsync(IKubernetesObject<V1ObjectMeta> obj, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// The grace period a delete gives <paramref name="obj"/> (the graceful-delete strategy's CheckGracefulDelete);
    /// 0 deletes at once (or as soon as the finalizers are gone). <paramref name="requested"/> is the client's.
    /// </summary>
    public virtual long GracePeriodSeconds(IKubernetesObject<V1ObjectMeta> obj, long? requested) => 0;

    /// <summary>Whether anything still holds the object back from deletion.</summary>
    public virtual bool HasFinalizers(IKubernetesObject<V1ObjectMeta> obj) => obj.Metadata.Finalizers?.Count > 0;

    /// <summary>Changes a delete makes to an object that stays for a while (before its deletionTimestamp is written).</summary>
    public virtual void PrepareForDelete(IKubernetesObject<V1ObjectMeta> obj)
    {
    }

    /// <summary>Whether an update of an object being deleted completes the delete (its last finalizer is gone).</summary>
    public virtual bool ShouldDeleteDuringUpdate(IKubernetesObject<V1ObjectMeta> obj) =>
        obj.Metadata.DeletionTimestamp is not null && !HasFinalizers(obj);

    private sealed class DefaultHooks : StoreHooks;

    private sealed class DeletedObjectHooks : StoreHooks
    {
        public override bool ReturnDeletedObject => true;
    }
}
