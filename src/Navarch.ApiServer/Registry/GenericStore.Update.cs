using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.ApiServer.Admission;
using Navarch.ApiServer.Registry.ManagedFields;
using Navarch.Storage;

namespace Navarch.ApiServer.Registry;

internal sealed partial class GenericStore
{
    Task<object> IRestUpdater.UpdateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken) =>
        ReplaceAsync(request, body, UpdateKind.Resource, cancellationToken);

    Task<object> IRestPatcher.PatchAsync(RestRequest request, PatchBody patch, CancellationToken cancellationToken) =>
        PatchAsync(request, patch, UpdateKind.Resource, cancellationToken);

    /// <summary>
    /// PUT: the object becomes <paramref name="body"/>, whose name (and namespace, when given) must be the URL's. Its
    /// resourceVersion, or else the one first read, is a precondition: a PUT that loses a race is a Conflict for the
    /// client to resolve, never written over the other change.
    /// </summary>
    public async Task<object> ReplaceAsync(RestRequest request, JsonNode body, UpdateKind kind, CancellationToken cancellationToken, UpdatedObjectCheck? check = null)
    {
        IKubernetesObject<V1ObjectMeta> obj = request.Decode(definition, body);
        obj.Metadata ??= new V1ObjectMeta();
        string name = request.Name;
        if (obj.Metadata.Name != name)
        {
            throw ApiErrors.BadRequest($"the name of the object ({obj.Metadata.Name}) does not match the name on the URL ({name})");
        }

        if (definition.Namespaced && !string.IsNullOrEmpty(obj.Metadata.NamespaceProperty) && obj.Metadata.NamespaceProperty != request.Info.Namespace)
        {
            throw ApiErrors.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        long? expected = null;
        return await UpdateAsync(request.Info.Namespace, name, request.Info.Subresource, kind, request.Info.Options.DryRun, old =>
        {
            long current = long.Parse(old.Metadata.ResourceVersion, CultureInfo.InvariantCulture);
            expected ??= string.IsNullOrEmpty(obj.Metadata.ResourceVersion) ? current : Http.RequestOptions.ParseLong(obj.Metadata.ResourceVersion, "metadata.resourceVersion");
            return expected == current ? obj : throw ApiErrors.Conflict(definition.GroupResource, name);
        }, cancellationToken, check, request.Manager);
    }

    /// <summary>
    /// PATCH: the patch applied to the current object, decoded and written; on a conflict it is applied again to the
    /// fresh object (a resourceVersion in the patch is a precondition instead).
    /// </summary>
    public async Task<object> PatchAsync(RestRequest request, PatchBody patch, UpdateKind kind, CancellationToken cancellationToken, UpdatedObjectCheck? check = null)
    {
        if (patch.Type == FieldManagement.ApplyPatchType)
        {
            return await ApplyAsync(request, patch, kind, check, cancellationToken);
        }

        string name = request.Name;
        return await UpdateAsync(request.Info.Namespace, name, request.Info.Subresource, kind, request.Info.Options.DryRun, old =>
        {
            IKubernetesObject<V1ObjectMeta> obj = request.Decode(definition, Patches.Apply(patch, ObjectCodec.ToNode(old)));
            obj.Metadata ??= new V1ObjectMeta();
            if (obj.Metadata.Name != name)
            {
                throw ApiErrors.BadRequest($"the name of the object ({obj.Metadata.Name}) does not match the name on the URL ({name})");
            }

            Patches.CheckResourceVersion(patch, old, definition, name);
            return obj;
        }, cancellationToken, check, request.Manager);
    }

    /// <summary>
    /// The update every write of an existing object goes through (apiserver's Store.Update): on each round of
    /// GuaranteedUpdate, <paramref name="updatedObject"/> makes the new object from the current one (which it must not
    /// change; throwing stops the retries), the strategy of <paramref name="kind"/> prepares and validates it, admission
    /// sees it, and it is written with compare-and-swap — or deleted, when it was being deleted and has lost its last
    /// finalizer. <paramref name="check"/>, when given, sees each new object with the current one before the strategy
    /// (k8s.io/apiserver's rest.WrapUpdatedObjectInfo) and may refuse it by throwing. The write's fields go to
    /// <paramref name="manager"/> in metadata.managedFields (null: the new object's managedFields stay as they are).
    /// </summary>
    public async Task<IKubernetesObject<V1ObjectMeta>> UpdateAsync(
        string? ns,
        string name,
        string? subresource,
        UpdateKind kind,
        bool dryRun,
        Func<IKubernetesObject<V1ObjectMeta>, IKubernetesObject<V1ObjectMeta>> updatedObject,
        CancellationToken cancellationToken,
        UpdatedObjectCheck? check = null,
        string? manager = null)
    {
        IKubernetesObject<V1ObjectMeta>? old = null, obj = null;
        StoreUpdateResult result;
        try
        {
            result = await store.GuaranteedUpdateAsync(
                definition.Key(ns, name),
                async (current, token) =>
                {
                    old = await DecodeAsync(current!, token);
                    obj = updatedObject(old);
                    if (check is not null)
                    {
                        await check(obj, old, token);
                    }

                    IReadOnlyList<FieldError> errors = Prepare(obj, old, kind);
                    var request = new AdmissionRequest(AdmissionOperation.Update, definition, obj.Metadata.NamespaceProperty, obj.Metadata.Name, obj, old, subresource) { DryRun = dryRun };
                    await admission.MutateAsync(request, token);
                    ThrowIfInvalid(obj, errors);
                    TrackFields(old, obj, subresource, manager);
                    await admission.ValidateAsync(request, token);
                    if (dryRun)
                    {
                        return StoreUpdate.None;
                    }

                    return hooks.ShouldDeleteDuringUpdate(obj) ? StoreUpdate.Delete : StoreUpdate.Put(await ObjectCodec.EncodeAsync(definition, obj, token));
                },
                options: hooks.WriteOptions,
                cancellationToken: cancellationToken);
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.KeyNotFound)
        {
            throw ApiErrors.NotFound(definition.GroupResource, name);
        }

        switch (result.Kind)
        {
            case StoreUpdateKind.Put:
                return await DecodeAsync(result.Current!, cancellationToken);
            case StoreUpdateKind.Delete:
                await hooks.AfterDeleteAsync(old!, cancellationToken);
                obj!.Metadata.ResourceVersion = result.Revision.ToString(CultureInfo.InvariantCulture);
                return obj;
            default:
                return obj!;
        }
    }

    /// <summary>What the client may not change is the stored object's; the rest goes through the strategy.</summary>
    private IReadOnlyList<FieldError> Prepare(IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta> old, UpdateKind kind)
    {
        obj.ApiVersion = definition.ApiVersion;
        obj.Kind = definition.Kind;
        V1ObjectMeta meta = obj.Metadata;
        meta.NamespaceProperty = old.Metadata.NamespaceProperty;
        meta.Uid = old.Metadata.Uid;
        meta.CreationTimestamp = old.Metadata.CreationTimestamp;
        meta.DeletionTimestamp = old.Metadata.DeletionTimestamp;
        meta.DeletionGracePeriodSeconds = old.Metadata.DeletionGracePeriodSeconds;
        switch (kind)
        {
            case UpdateKind.Status:
                definition.Strategy.PrepareForStatusUpdate(obj, old);
                return definition.Strategy.ValidateStatusUpdate(obj, old);
            case UpdateKind.Resource:
                definition.Strategy.PrepareForUpdate(obj, old);
                definition.Strategy.Default(obj);
                return definition.Strategy.ValidateUpdate(obj, old);
            default:
                return [];
        }
    }
}
