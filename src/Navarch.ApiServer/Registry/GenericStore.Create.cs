using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.ApiServer.Admission;
using Navarch.Storage;

namespace Navarch.ApiServer.Registry;

internal sealed partial class GenericStore
{
    /// <summary>POST on the collection: the body, in the request's namespace, created (201).</summary>
    async Task<object> IRestCreater.CreateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken)
    {
        IKubernetesObject<V1ObjectMeta> obj = request.Decode(definition, body);
        obj.Metadata ??= new V1ObjectMeta();
        if (definition.Namespaced)
        {
            if (!string.IsNullOrEmpty(obj.Metadata.NamespaceProperty) && obj.Metadata.NamespaceProperty != request.Info.Namespace)
            {
                throw ApiErrors.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }

            obj.Metadata.NamespaceProperty = request.Info.Namespace;
        }
        else
        {
            obj.Metadata.NamespaceProperty = null;
        }

        return await CreateAsync(obj, request.Info.Options.DryRun, cancellationToken, request.Manager);
    }

    /// <summary>
    /// Creates <paramref name="obj"/> (its namespace already set): fresh metadata, the strategy's PrepareForCreate,
    /// defaults and validation, admission, the kind's BeginCreate, and a create-if-absent write. A name made from
    /// generateName is made again when taken.
    /// </summary>
    public async Task<IKubernetesObject<V1ObjectMeta>> CreateAsync(IKubernetesObject<V1ObjectMeta> obj, bool dryRun, CancellationToken cancellationToken, string? manager = null)
    {
        bool generated = string.IsNullOrEmpty(obj.Metadata.Name) && !string.IsNullOrEmpty(obj.Metadata.GenerateName);
        for (int attempt = 0; ; attempt++)
        {
            if (generated)
            {
                obj.Metadata.Name = obj.Metadata.GenerateName + RandomSuffix();
            }

            try
            {
                return await CreateOnceAsync(obj, dryRun, manager, cancellationToken);
            }
            catch (StatusException e) when (generated && e.Status.Reason == "AlreadyExists" && attempt < 8)
            {
            }
        }
    }

    private async Task<IKubernetesObject<V1ObjectMeta>> CreateOnceAsync(IKubernetesObject<V1ObjectMeta> obj, bool dryRun, string? manager, CancellationToken cancellationToken)
    {
        obj.ApiVersion = definition.ApiVersion;
        obj.Kind = definition.Kind;
        V1ObjectMeta meta = obj.Metadata;
        meta.Uid = Guid.NewGuid().ToString();
        meta.CreationTimestamp = NowToTheSecond();
        meta.ResourceVersion = null;
        meta.DeletionTimestamp = null;
        meta.DeletionGracePeriodSeconds = null;
        meta.Generation = null;
        definition.Strategy.PrepareForCreate(obj);
        definition.Strategy.Default(obj);
        var request = new AdmissionRequest(AdmissionOperation.Create, definition, meta.NamespaceProperty, meta.Name, obj, null, null) { DryRun = dryRun };
        await admission.MutateAsync(request, cancellationToken);
        ThrowIfInvalid(obj, definition.Strategy.Validate(obj));
        TrackFields(null, obj, null, manager);
        await admission.ValidateAsync(request, cancellationToken);

        string key = definition.Key(meta.NamespaceProperty, meta.Name);
        Func<bool, ValueTask> finish = await hooks.BeginCreateAsync(obj, key, cancellationToken);
        bool stored = false;
        try
        {
            if (dryRun)
            {
                return obj;
            }

            StoreUpdateResult created = await store.GuaranteedUpdateAsync(
                key,
                async (current, token) => current is null
                    ? StoreUpdate.Put(await ObjectCodec.EncodeAsync(definition, obj, token))
                    : throw ApiErrors.AlreadyExists(definition.GroupResource, meta.Name),
                ignoreNotFound: true,
                assumeAbsent: true,
                hooks.WriteOptions,
                cancellationToken);
            stored = true;
            return await DecodeAsync(created.Current!, cancellationToken);
        }
        finally
        {
            await finish(stored);
        }
    }
}
