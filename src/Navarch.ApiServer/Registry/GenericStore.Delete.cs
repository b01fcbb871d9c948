using System.Globalization;
using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Selectors;
using Navarch.ApiServer.Admission;
using Navarch.Storage;

namespace Navarch.ApiServer.Registry;

internal sealed partial class GenericStore
{
    /// <summary>
    /// Deletes like Kubernetes: admission (mutating, then validating) and preconditions first; an object with finalizers, or one its kind gives a
    /// grace period (a pod on a node), only gets a deletionTimestamp and stays until its finalizers are gone (or its
    /// kubelet confirms). Orphan and Foreground propagation add the garbage collector's finalizers.
    /// </summary>
    public async Task<DeletedObject> DeleteAsync(string? ns, string name, V1DeleteOptions options, bool dryRun, CancellationToken cancellationToken)
    {
        IKubernetesObject<V1ObjectMeta>? obj = null;
        bool removed = false;
        StoreUpdateResult result;
        try
        {
            result = await store.GuaranteedUpdateAsync(
                definition.Key(ns, name),
                async (current, token) =>
                {
                    obj = await DecodeAsync(current!, token);
                    // kube-apiserver's AdmissionToValidateObjectDeleteFunc: mutating admission (webhooks that ask for DELETE are
                    // called, with no object to patch), then validating, on the object as stored.
                    var request = new AdmissionRequest(AdmissionOperation.Delete, definition, ns, name, null, obj, null) { DryRun = dryRun };
                    await admission.MutateAsync(request, token);
                    await admission.ValidateAsync(request, token);
                    CheckPreconditions(obj, options.Preconditions, name);
                    long grace = hooks.GracePeriodSeconds(obj, options.GracePeriodSeconds);
                    bool hasFinalizers = hooks.HasFinalizers(obj);
                    hooks.PrepareForDelete(obj);
                    if (options.PropagationPolicy == "Orphan" || options.OrphanDependents == true)
                    {
                        // The garbage collector honours these finalizers once it runs; until then the object waits for it.
                        AddFinalizer(obj, "orphan");
                        hasFinalizers = true;
                    }
                    else if (options.PropagationPolicy == "Foreground")
                    {
                        AddFinalizer(obj, "foregroundDeletion");
                        hasFinalizers = true;
                    }

                    removed = !hasFinalizers && grace <= 0;
                    if (dryRun)
                    {
                        return StoreUpdate.None;
                    }

                    if (removed)
                    {
                        return StoreUpdate.Delete;
                    }

                    if (obj.Metadata.DeletionTimestamp is not null && !(grace < obj.Metadata.DeletionGracePeriodSeconds))
                    {
                        // Already on its way out, no sooner than asked: nothing to change.
                        return StoreUpdate.None;
                    }

                    obj.Metadata.DeletionTimestamp = NowToTheSecond().AddSeconds(grace);
                    obj.Metadata.DeletionGracePeriodSeconds = grace;
                    return StoreUpdate.Put(await ObjectCodec.EncodeAsync(definition, obj, token));
                },
                cancellationToken: cancellationToken);
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.KeyNotFound)
        {
            throw ApiErrors.NotFound(definition.GroupResource, name);
        }

        switch (result.Kind)
        {
            case StoreUpdateKind.Put:
                return new DeletedObject(await DecodeAsync(result.Current!, cancellationToken), Removed: false);
            case StoreUpdateKind.Delete:
                await hooks.AfterDeleteAsync(obj!, cancellationToken);
                obj!.Metadata.ResourceVersion = result.Revision.ToString(CultureInfo.InvariantCulture);
                return new DeletedObject(obj, Removed: true);
            default:
                return new DeletedObject(obj!, removed);
        }
    }

    /// <summary>Deletes every object in <paramref name="ns"/> that matches the selectors (those gone meanwhile are skipped).</summary>
    public async Task<(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Deleted, long Revision)> DeleteCollectionAsync(
        string? ns, LabelSelector labels, FieldSelector fields, V1DeleteOptions options, bool dryRun, CancellationToken cancellationToken)
    {
        CheckFieldSelector(fields);
        ListResult all = await store.ListAsync(definition.ListPrefix(ns), new ListOptions(), cancellationToken);
        var deleted = new List<IKubernetesObject<V1ObjectMeta>>();
        foreach (IKubernetesObject<V1ObjectMeta> obj in await DecodeAllAsync(all.Items, cancellationToken))
        {
            if (Matches(obj, labels, fields))
            {
                try
                {
                    deleted.Add((await DeleteAsync(obj.Metadata.NamespaceProperty, obj.Metadata.Name, options, dryRun, cancellationToken)).Object);
                }
                catch (StatusException e) when (e.Status.Code == 404)
                {
                }
            }
        }

        return (deleted, all.Revision);
    }

    private void CheckPreconditions(IKubernetesObject<V1ObjectMeta> obj, V1Preconditions? preconditions, string name)
    {
        if (preconditions?.Uid is { Length: > 0 } uid && uid != obj.Metadata.Uid)
        {
            throw ApiErrors.Conflict(definition.GroupResource, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {obj.Metadata.Uid}");
        }

        if (preconditions?.ResourceVersion is { Length: > 0 } rv && rv != obj.Metadata.ResourceVersion)
        {
            throw ApiErrors.Conflict(definition.GroupResource, name, $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {obj.Metadata.ResourceVersion}");
        }
    }

    private static void AddFinalizer(IKubernetesObject<V1ObjectMeta> obj, string finalizer)
    {
        obj.Metadata.Finalizers ??= [];
        if (!obj.Metadata.Finalizers.Contains(finalizer))
        {
            obj.Metadata.Finalizers.Add(finalizer);
        }
    }
}
