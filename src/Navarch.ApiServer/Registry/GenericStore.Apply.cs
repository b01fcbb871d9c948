using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.ManagedFields;
using Navarch.ApiServer.Registry.ManagedFields;

namespace Navarch.ApiServer.Registry;

internal sealed partial class GenericStore
{
    private FieldManager? fieldManager;

    /// <summary>The resource's field manager (metadata.managedFields and server-side apply).</summary>
    private FieldManager Fields => fieldManager ??= new FieldManager(FieldManagement.SchemaFor(definition), definition.ApiVersion, definition.Subresources.Contains("status"));

    /// <summary>
    /// Gives <paramref name="manager"/> the fields it set in <paramref name="obj"/> over <paramref name="old"/> (null: a
    /// create), in obj's managedFields; a null manager leaves them as they are (an apply has already set them).
    /// </summary>
    private void TrackFields(IKubernetesObject<V1ObjectMeta>? old, IKubernetesObject<V1ObjectMeta> obj, string? subresource, string? manager)
    {
        if (manager is null)
        {
            return;
        }

        IList<V1ManagedFieldsEntry>? sent = obj.Metadata.ManagedFields;
        obj.Metadata.ManagedFields = null;
        var updated = (JsonObject)ObjectCodec.ToNode(obj);
        try
        {
            obj.Metadata.ManagedFields = Fields.Update(
                old is null ? null : (JsonObject)ObjectCodec.ToNode(old), old?.Metadata.ManagedFields, updated, sent, manager, subresource, NowToTheSecond()) is { Count: > 0 } entries
                ? entries
                : null;
        }
        catch (StatusException)
        {
            // apiserver's UpdateNoErrors: an object the field sets cannot describe (a list-map item without its key) keeps
            // the live entries; validation reports what is wrong with it.
            obj.Metadata.ManagedFields = old?.Metadata.ManagedFields;
        }
    }

    /// <summary>
    /// Server-side apply (PATCH application/apply-patch+yaml): the configuration merged into the current object by the
    /// field manager, then written as any update; when there is no object yet, it is created from the configuration
    /// through the create path (admission, defaulting, validation, dry run).
    /// </summary>
    private async Task<object> ApplyAsync(RestRequest request, PatchBody patch, UpdateKind kind, UpdatedObjectCheck? check, CancellationToken cancellationToken)
    {
        JsonObject config = FieldManagement.Configuration(definition, patch.Patch);
        string manager = request.Info.Options.FieldManager, name = request.Name;
        string? subresource = request.Info.Subresource;
        bool force = request.Info.Options.Force == true;
        IKubernetesObject<V1ObjectMeta> Applied(IKubernetesObject<V1ObjectMeta>? old)
        {
            var live = old is null ? [] : (JsonObject)ObjectCodec.ToNode(old);
            (JsonObject merged, IList<V1ManagedFieldsEntry> entries) = Fields.Apply(live, old?.Metadata.ManagedFields, config, manager, subresource, force, NowToTheSecond());
            IKubernetesObject<V1ObjectMeta> obj = request.Decode(definition, merged);
            obj.Metadata ??= new V1ObjectMeta();
            obj.Metadata.ManagedFields = entries;
            if (obj.Metadata.Name != name)
            {
                throw ApiErrors.BadRequest($"the name of the object ({obj.Metadata.Name}) does not match the name on the URL ({name})");
            }

            if (old is not null)
            {
                Patches.CheckResourceVersion(patch, old, definition, name);
            }

            return obj;
        }

        try
        {
            return await UpdateAsync(request.Info.Namespace, name, subresource, kind, request.Info.Options.DryRun, old => Applied(old), cancellationToken, check);
        }
        catch (StatusException e) when (e.Status.Reason == "NotFound" && subresource is null && e.Status.Details?.Name == name)
        {
            IKubernetesObject<V1ObjectMeta> obj = Applied(null);
            if (definition.Namespaced)
            {
                if (!string.IsNullOrEmpty(obj.Metadata.NamespaceProperty) && obj.Metadata.NamespaceProperty != request.Info.Namespace)
                {
                    throw ApiErrors.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
                }

                obj.Metadata.NamespaceProperty = request.Info.Namespace;
            }

            return new CreatedObject(await CreateAsync(obj, request.Info.Options.DryRun, cancellationToken));
        }
    }
}
