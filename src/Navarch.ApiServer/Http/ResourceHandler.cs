using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.Api.Patch;
using Navarch.Api.Resources;
using Navarch.Api.Selectors;
using Navarch.ApiServer.Registry;
using Navarch.Storage;

namespace Navarch.ApiServer.Http;

/// <summary>
/// The generic REST handler: every resource in the catalog is served by this one class, driven by its
/// <see cref="ResourceDefinition"/> and strategy (create, get, list, watch, update, patch, delete,
/// deletecollection, and the status, scale and binding subresources).
/// </summary>
internal sealed partial class ResourceHandler(IStore store, ResourceCatalog catalog, ServiceAllocator services, WatchCaches caches, Admission.AdmissionChain admission, TimeProvider time, Microsoft.Extensions.Logging.ILogger logger)
{
    private const int MaxPatchRetries = 1000;

    public async Task HandleAsync(HttpContext context, ApiPath path)
    {
        ResourceDefinition definition = path.Resource!;
        string method = context.Request.Method;
        string? sub = path.Subresource;
        if (sub is not null && !definition.Subresources.Contains(sub))
        {
            throw ApiErrors.NotFound(definition.GroupResource, path.Name ?? "");
        }

        if (definition.Namespaced && path.Namespace is null && (path.Name is not null || method is not "GET"))
        {
            throw ApiErrors.NotFound(definition.GroupResource, path.Name ?? "");
        }

        switch (method, path.Name, sub)
        {
            case ("GET", null, _) when IsWatch(context):
                await WatchAsync(context, definition, path.Namespace);
                break;
            case ("GET", null, _):
                await ListAsync(context, definition, path.Namespace);
                break;
            case ("GET", { } name, null or "status"):
                await Responder.WriteObjectAsync(context, 200, definition, await GetAsync(definition, path.Namespace, name, context.RequestAborted), time.GetUtcNow());
                break;
            case ("GET", { } name, "scale"):
                await Responder.WriteJsonAsync(context, 200, Scale.ToScale(definition, await GetAsync(definition, path.Namespace, name, context.RequestAborted)));
                break;
            case ("POST", null, null):
                await CreateAsync(context, definition, path.Namespace);
                break;
            case ("POST", { } name, "binding"):
                await BindAsync(context, definition, path.Namespace!, name);
                break;
            case ("POST", { } name, "eviction"):
                await EvictAsync(context, definition, path.Namespace!, name);
                break;
            case ("POST", { } name, "token") when definition.Plural == "serviceaccounts" && Tokens is not null:
                await RequestTokenAsync(context, path.Namespace!, name);
                break;
            case ("PUT", { } name, null or "status" or "finalize"):
                await UpdateAsync(context, definition, path.Namespace, name, sub == "status");
                break;
            case ("PUT", { } name, "scale"):
                await UpdateScaleAsync(context, definition, path.Namespace, name);
                break;
            case ("PATCH", { } name, null or "status" or "scale"):
                await PatchAsync(context, definition, path.Namespace, name, sub);
                break;
            case ("DELETE", { } name, null):
                await DeleteAsync(context, definition, path.Namespace, name);
                break;
            case ("DELETE", null, null):
                await DeleteCollectionAsync(context, definition, path.Namespace);
                break;
            case (_, _, "log" or "exec" or "attach" or "portforward" or "proxy"):
                await ConnectAsync(context, definition, path.Namespace, path.Name!, sub);
                break;
            default:
                throw ApiErrors.MethodNotSupported(definition.GroupResource, method);
        }
    }

    private static bool IsWatch(HttpContext context) =>
        context.Request.Query["watch"].ToString() is "true" or "1";

    private static bool DryRun(HttpContext context) =>
        context.Request.Query["dryRun"].ToString() == "All";


    public async Task<IKubernetesObject<V1ObjectMeta>> GetAsync(ResourceDefinition definition, string? ns, string name, CancellationToken cancellationToken)
    {
        return await ObjectCodec.ReadAsync(store, definition, ns, name, cancellationToken) ?? throw ApiErrors.NotFound(definition.GroupResource, name);
    }

    private async Task ListAsync(HttpContext context, ResourceDefinition definition, string? ns)
    {
        IQueryCollection q = context.Request.Query;
        LabelSelector labels = LabelSelector.Parse(q["labelSelector"]);
        FieldSelector fields = ParseFieldSelector(definition, q["fieldSelector"]);
        long limit = ParseLong(q["limit"], "limit");
        string? continueToken = NullIfEmpty(q["continue"]);
        long revision = ListRevision(q);
        ListResult page;
        try
        {
            if (q["resourceVersion"].ToString() == "0" && continueToken is null)
            {
                // "Any" revision: served from the watch cache, as kube-apiserver does (it ignores the limit then).
                (List<KeyValue> cached, long at) = await caches.For(definition).ListAsync(definition.ListPrefix(ns), context.RequestAborted);
                page = new ListResult(cached, at, null, null);
            }
            else
            {
                page = await store.ListAsync(definition.ListPrefix(ns), new ListOptions(limit, continueToken, revision), context.RequestAborted);
            }
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.InvalidContinue)
        {
            throw ApiErrors.BadRequest("continue key is not valid: " + e.Message);
        }

        var items = page.Items.Select(kv => ObjectCodec.Decode(definition, kv))
            .Where(o => labels.Matches(o.Metadata.Labels) && fields.Matches(definition.Strategy.SelectableFields(o)))
            .ToList();
        string rv = page.Revision.ToString(CultureInfo.InvariantCulture);
        if (Responder.WantsTable(context))
        {
            await Responder.WriteJsonAsync(context, 200, Responder.Table(context, definition, items, rv, page.Continue, time.GetUtcNow()));
            return;
        }

        var metadata = new JsonObject { ["resourceVersion"] = rv };
        if (page.Continue is not null)
        {
            metadata["continue"] = page.Continue;
            metadata["remainingItemCount"] = page.RemainingCount;
        }

        await Responder.WriteJsonAsync(context, 200, new JsonObject
        {
            ["kind"] = definition.ListClrType.GetCustomAttributes(typeof(KubernetesEntityAttribute), false).OfType<KubernetesEntityAttribute>().FirstOrDefault()?.Kind ?? definition.Kind + "List",
            ["apiVersion"] = definition.ApiVersion,
            ["metadata"] = metadata,
            ["items"] = new JsonArray(items.Select(i => (JsonNode?)ObjectCodec.ToNode(i)).ToArray()),
        });
    }

    private static long ListRevision(IQueryCollection q)
    {
        string rv = q["resourceVersion"].ToString();
        if (rv is "" or "0" || q["resourceVersionMatch"].ToString() == "NotOlderThan")
        {
            return 0;
        }

        long revision = ParseLong(rv, "resourceVersion");
        return q["resourceVersionMatch"].ToString() == "Exact" ? revision : 0;
    }

    private static FieldSelector ParseFieldSelector(ResourceDefinition definition, string? text)
    {
        FieldSelector fields = FieldSelector.Parse(text);
        if (fields.Terms.Count > 0)
        {
            // The selectable fields are the strategy's; ask it with an empty object of the kind.
            var probe = (IKubernetesObject<V1ObjectMeta>)Activator.CreateInstance(definition.ClrType)!;
            probe.Metadata = new V1ObjectMeta { Name = "", NamespaceProperty = definition.Namespaced ? "" : null };
            fields.CheckSupported(definition.Strategy.SelectableFields(probe).Keys);
        }

        return fields;
    }

    private async Task CreateAsync(HttpContext context, ResourceDefinition definition, string? ns)
    {
        JsonNode body = await RequestBody.ReadAsync(context, allowPatchTypes: false);
        IKubernetesObject<V1ObjectMeta> obj = Decode(definition, body, context);
        obj.Metadata ??= new V1ObjectMeta();
        if (definition.Namespaced)
        {
            if (!string.IsNullOrEmpty(obj.Metadata.NamespaceProperty) && obj.Metadata.NamespaceProperty != ns)
            {
                throw ApiErrors.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }

            obj.Metadata.NamespaceProperty = ns;
        }
        else
        {
            obj.Metadata.NamespaceProperty = null;
        }

        bool generated = string.IsNullOrEmpty(obj.Metadata.Name) && !string.IsNullOrEmpty(obj.Metadata.GenerateName);
        for (int attempt = 0; ; attempt++)
        {
            if (generated)
            {
                obj.Metadata.Name = obj.Metadata.GenerateName + RandomSuffix();
            }

            try
            {
                IKubernetesObject<V1ObjectMeta> created = await CreateObjectAsync(definition, obj, DryRun(context), context.RequestAborted);
                await Responder.WriteObjectAsync(context, 201, definition, created, time.GetUtcNow());
                return;
            }
            catch (StatusException e) when (generated && e.Status.Reason == "AlreadyExists" && attempt < 8)
            {
            }
        }
    }

    /// <summary>The create path shared by POST and bootstrap: metadata, strategy, allocation, store.</summary>
    public async Task<IKubernetesObject<V1ObjectMeta>> CreateObjectAsync(ResourceDefinition definition, IKubernetesObject<V1ObjectMeta> obj, bool dryRun, CancellationToken cancellationToken)
    {
        obj.ApiVersion = definition.ApiVersion;
        obj.Kind = definition.Kind;
        V1ObjectMeta meta = obj.Metadata;
        meta.Uid = Guid.NewGuid().ToString();
        meta.CreationTimestamp = Truncate(time.GetUtcNow());
        meta.ResourceVersion = null;
        meta.DeletionTimestamp = null;
        meta.DeletionGracePeriodSeconds = null;
        meta.ManagedFields = null;
        meta.Generation = null;
        definition.Strategy.PrepareForCreate(obj);
        definition.Strategy.Default(obj);
        var request = new Admission.AdmissionRequest(Admission.AdmissionOperation.Create, definition, meta.NamespaceProperty, meta.Name, obj, null, null);
        await admission.MutateAsync(request, cancellationToken);
        Invalid(definition, obj, definition.Strategy.Validate(obj));
        await admission.ValidateAsync(request, cancellationToken);

        string key = definition.Key(meta.NamespaceProperty, meta.Name);
        if (obj is V1Service && await store.GetAsync(key, 0, cancellationToken) is not null)
        {
            // Say AlreadyExists before allocating: the existing Service holds the addresses this one would ask for.
            throw ApiErrors.AlreadyExists(definition.GroupResource, meta.Name);
        }

        List<string> allocated = obj is V1Service service ? await services.AllocateAsync(service, cancellationToken) : [];
        if (dryRun)
        {
            await ReleaseAllocationsAsync(obj);
            return obj;
        }

        try
        {
            KeyValue kv = await store.CreateAsync(key, ObjectCodec.Encode(definition, obj), TtlFor(definition), cancellationToken);
            return ObjectCodec.Decode(definition, kv);
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.KeyExists)
        {
            if (allocated.Count > 0)
            {
                await ReleaseAllocationsAsync(obj);
            }

            throw ApiErrors.AlreadyExists(definition.GroupResource, meta.Name);
        }
    }

    private async Task ReleaseAllocationsAsync(IKubernetesObject<V1ObjectMeta> obj)
    {
        if (obj is V1Service service)
        {
            await services.ReleaseAsync(service, CancellationToken.None);
        }
    }

    /// <summary>Events expire like Kubernetes' (--event-ttl, 1 h): the store deletes them through a lease.</summary>
    private static WriteOptions? TtlFor(ResourceDefinition definition) =>
        definition.StoragePrefix == "/registry/events" ? new WriteOptions(TimeSpan.FromHours(1)) : null;

    private async Task UpdateAsync(HttpContext context, ResourceDefinition definition, string? ns, string name, bool status)
    {
        JsonNode body = await RequestBody.ReadAsync(context, allowPatchTypes: false);
        IKubernetesObject<V1ObjectMeta> obj = Decode(definition, body, context);
        obj.Metadata ??= new V1ObjectMeta();
        if (obj.Metadata.Name != name)
        {
            throw ApiErrors.BadRequest($"the name of the object ({obj.Metadata.Name}) does not match the name on the URL ({name})");
        }

        if (definition.Namespaced && !string.IsNullOrEmpty(obj.Metadata.NamespaceProperty) && obj.Metadata.NamespaceProperty != ns)
        {
            throw ApiErrors.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        KeyValue current = await store.GetAsync(definition.Key(ns, name), 0, context.RequestAborted) ?? throw ApiErrors.NotFound(definition.GroupResource, name);
        long expected = string.IsNullOrEmpty(obj.Metadata.ResourceVersion) ? current.ModRevision : ParseLong(obj.Metadata.ResourceVersion, "metadata.resourceVersion");
        if (expected != current.ModRevision)
        {
            throw ApiErrors.Conflict(definition.GroupResource, name);
        }

        IKubernetesObject<V1ObjectMeta> saved = await WriteUpdateAsync(definition, ObjectCodec.Decode(definition, current), obj, current.ModRevision, status ? "status" : null, DryRun(context), context.RequestAborted);
        await Responder.WriteObjectAsync(context, 200, definition, saved, time.GetUtcNow());
    }

    /// <summary>The update path shared by PUT and PATCH: strategy, validation, CAS write (or delete once finalizers are gone).</summary>
    private async Task<IKubernetesObject<V1ObjectMeta>> WriteUpdateAsync(
        ResourceDefinition definition, IKubernetesObject<V1ObjectMeta> old, IKubernetesObject<V1ObjectMeta> obj, long modRevision, string? subresource, bool dryRun, CancellationToken cancellationToken)
    {
        bool status = subresource == "status";
        obj.ApiVersion = definition.ApiVersion;
        obj.Kind = definition.Kind;
        V1ObjectMeta meta = obj.Metadata;
        meta.NamespaceProperty = old.Metadata.NamespaceProperty;
        meta.Uid = old.Metadata.Uid;
        meta.CreationTimestamp = old.Metadata.CreationTimestamp;
        meta.DeletionTimestamp = old.Metadata.DeletionTimestamp;
        meta.DeletionGracePeriodSeconds = old.Metadata.DeletionGracePeriodSeconds;
        meta.ManagedFields = null;
        IReadOnlyList<FieldError> errors;
        if (status)
        {
            definition.Strategy.PrepareForStatusUpdate(obj, old);
            errors = definition.Strategy.ValidateStatusUpdate(obj, old);
        }
        else
        {
            definition.Strategy.PrepareForUpdate(obj, old);
            definition.Strategy.Default(obj);
            errors = definition.Strategy.ValidateUpdate(obj, old);
        }

        var request = new Admission.AdmissionRequest(Admission.AdmissionOperation.Update, definition, meta.NamespaceProperty, meta.Name, obj, old, subresource);
        await admission.MutateAsync(request, cancellationToken);
        Invalid(definition, obj, errors);
        await admission.ValidateAsync(request, cancellationToken);
        if (dryRun)
        {
            return obj;
        }

        string key = definition.Key(meta.NamespaceProperty, meta.Name);
        try
        {
            if (meta.DeletionTimestamp is not null && !HasFinalizers(obj) && !IsGracefulPod(obj))
            {
                DeleteResult deleted = await store.DeleteAsync(key, modRevision, cancellationToken);
                await ReleaseAllocationsAsync(old);
                meta.ResourceVersion = deleted.Revision.ToString(CultureInfo.InvariantCulture);
                return obj;
            }

            KeyValue kv = await store.UpdateAsync(key, ObjectCodec.Encode(definition, obj), modRevision, TtlFor(definition), cancellationToken);
            return ObjectCodec.Decode(definition, kv);
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.Conflict)
        {
            throw ApiErrors.Conflict(definition.GroupResource, meta.Name);
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.KeyNotFound)
        {
            throw ApiErrors.NotFound(definition.GroupResource, meta.Name);
        }
    }

    /// <summary>Metadata finalizers, and for a namespace also its spec finalizers (removed through /finalize).</summary>
    private static bool HasFinalizers(IKubernetesObject<V1ObjectMeta> obj) =>
        obj.Metadata.Finalizers?.Count > 0 || (obj is V1Namespace ns && ns.Spec?.Finalizers?.Count > 0);

    private static bool IsGracefulPod(IKubernetesObject<V1ObjectMeta> obj) =>
        obj is V1Pod pod && !string.IsNullOrEmpty(pod.Spec?.NodeName) && pod.Metadata.DeletionGracePeriodSeconds is > 0;

    private async Task PatchAsync(HttpContext context, ResourceDefinition definition, string? ns, string name, string? sub)
    {
        string type = (context.Request.ContentType ?? "").Split(';')[0].Trim();
        if (type is not ("application/json-patch+json" or "application/merge-patch+json" or "application/strategic-merge-patch+json" or "application/apply-patch+yaml"))
        {
            throw ApiErrors.UnsupportedMediaType(type);
        }

        if (type == "application/apply-patch+yaml")
        {
            throw ApiErrors.UnsupportedMediaType(type + " (server-side apply is not supported yet; use client-side kubectl apply)");
        }

        JsonNode patch = await RequestBody.ReadAsync(context, allowPatchTypes: true);
        for (int attempt = 0; ; attempt++)
        {
            KeyValue current = await store.GetAsync(definition.Key(ns, name), 0, context.RequestAborted) ?? throw ApiErrors.NotFound(definition.GroupResource, name);
            IKubernetesObject<V1ObjectMeta> old = ObjectCodec.Decode(definition, current);
            JsonNode document = sub == "scale" ? Scale.ToScale(definition, old) : ObjectCodec.ToNode(old);
            JsonNode? patched = type switch
            {
                "application/json-patch+json" => JsonPatch.Apply(document, patch),
                "application/merge-patch+json" => MergePatch.Apply(document, patch),
                _ => StrategicMergePatch.Apply(document, patch),
            };
            if (patched is not JsonObject patchedObject)
            {
                throw ApiErrors.BadRequest("the patch did not produce an object");
            }

            IKubernetesObject<V1ObjectMeta> obj;
            if (sub == "scale")
            {
                obj = Scale.Apply(definition, ObjectCodec.Clone(definition, old), patchedObject);
            }
            else
            {
                obj = Decode(definition, patchedObject, context);
                obj.Metadata ??= new V1ObjectMeta();
                if (obj.Metadata.Name != name)
                {
                    throw ApiErrors.BadRequest($"the name of the object ({obj.Metadata.Name}) does not match the name on the URL ({name})");
                }
            }

            // A resourceVersion in the patch is a precondition, as in Kubernetes.
            if (patch is JsonObject po && po["metadata"]?["resourceVersion"]?.GetValue<string>() is { } wanted && wanted != old.Metadata.ResourceVersion)
            {
                throw ApiErrors.Conflict(definition.GroupResource, name);
            }

            try
            {
                IKubernetesObject<V1ObjectMeta> saved = await WriteUpdateAsync(definition, old, obj, current.ModRevision, sub, DryRun(context), context.RequestAborted);
                if (sub == "scale")
                {
                    await Responder.WriteJsonAsync(context, 200, Scale.ToScale(definition, saved));
                }
                else
                {
                    await Responder.WriteObjectAsync(context, 200, definition, saved, time.GetUtcNow());
                }

                return;
            }
            catch (StatusException e) when (e.Status.Reason == "Conflict" && !context.RequestAborted.IsCancellationRequested && attempt < MaxPatchRetries)
            {
                // As Kubernetes' GuaranteedUpdate: a patch without a resourceVersion precondition is re-applied to the
                // fresh object; every lost round means another writer won, so this converges.
            }
        }
    }

    private async Task UpdateScaleAsync(HttpContext context, ResourceDefinition definition, string? ns, string name)
    {
        JsonNode body = await RequestBody.ReadAsync(context, allowPatchTypes: false);
        KeyValue current = await store.GetAsync(definition.Key(ns, name), 0, context.RequestAborted) ?? throw ApiErrors.NotFound(definition.GroupResource, name);
        IKubernetesObject<V1ObjectMeta> old = ObjectCodec.Decode(definition, current);
        if (body["metadata"]?["resourceVersion"]?.GetValue<string>() is { Length: > 0 } rv && rv != old.Metadata.ResourceVersion)
        {
            throw ApiErrors.Conflict(definition.GroupResource, name);
        }

        IKubernetesObject<V1ObjectMeta> obj = Scale.Apply(definition, ObjectCodec.Clone(definition, old), body as JsonObject ?? []);
        IKubernetesObject<V1ObjectMeta> saved = await WriteUpdateAsync(definition, old, obj, current.ModRevision, "scale", DryRun(context), context.RequestAborted);
        await Responder.WriteJsonAsync(context, 200, Scale.ToScale(definition, saved));
    }

    private async Task DeleteAsync(HttpContext context, ResourceDefinition definition, string? ns, string name)
    {
        V1DeleteOptions options = await ReadDeleteOptionsAsync(context);
        IKubernetesObject<V1ObjectMeta> result = await DeleteObjectAsync(definition, ns, name, options, DryRun(context) || options.DryRun?.Contains("All") == true, context.RequestAborted);
        await Responder.WriteObjectAsync(context, 200, definition, result, time.GetUtcNow());
    }

    private async Task DeleteCollectionAsync(HttpContext context, ResourceDefinition definition, string? ns)
    {
        V1DeleteOptions options = await ReadDeleteOptionsAsync(context);
        LabelSelector labels = LabelSelector.Parse(context.Request.Query["labelSelector"]);
        FieldSelector fields = ParseFieldSelector(definition, context.Request.Query["fieldSelector"]);
        ListResult all = await store.ListAsync(definition.ListPrefix(ns), new ListOptions(), context.RequestAborted);
        var deleted = new List<IKubernetesObject<V1ObjectMeta>>();
        foreach (IKubernetesObject<V1ObjectMeta> obj in all.Items.Select(kv => ObjectCodec.Decode(definition, kv)))
        {
            if (labels.Matches(obj.Metadata.Labels) && fields.Matches(definition.Strategy.SelectableFields(obj)))
            {
                try
                {
                    deleted.Add(await DeleteObjectAsync(definition, obj.Metadata.NamespaceProperty, obj.Metadata.Name, options, DryRun(context), context.RequestAborted));
                }
                catch (StatusException e) when (e.Status.Code == 404)
                {
                }
            }
        }

        await Responder.WriteJsonAsync(context, 200, new JsonObject
        {
            ["kind"] = definition.Kind + "List",
            ["apiVersion"] = definition.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = all.Revision.ToString(CultureInfo.InvariantCulture) },
            ["items"] = new JsonArray(deleted.Select(d => (JsonNode?)ObjectCodec.ToNode(d)).ToArray()),
        });
    }

    /// <summary>
    /// Deletes like Kubernetes: preconditions first; an object with finalizers, or a pod on a node with a grace
    /// period, only gets a deletionTimestamp and stays until its finalizers are gone (or its kubelet confirms).
    /// </summary>
    public async Task<IKubernetesObject<V1ObjectMeta>> DeleteObjectAsync(ResourceDefinition definition, string? ns, string name, V1DeleteOptions options, bool dryRun, CancellationToken cancellationToken)
    {
        string key = definition.Key(ns, name);
        for (int attempt = 0; ; attempt++)
        {
            KeyValue current = await store.GetAsync(key, 0, cancellationToken) ?? throw ApiErrors.NotFound(definition.GroupResource, name);
            IKubernetesObject<V1ObjectMeta> obj = ObjectCodec.Decode(definition, current);
            await admission.ValidateAsync(new Admission.AdmissionRequest(Admission.AdmissionOperation.Delete, definition, ns, name, null, obj, null), cancellationToken);
            if (options.Preconditions?.Uid is { Length: > 0 } uid && uid != obj.Metadata.Uid)
            {
                throw ApiErrors.Conflict(definition.GroupResource, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {obj.Metadata.Uid}");
            }

            if (options.Preconditions?.ResourceVersion is { Length: > 0 } rv && rv != obj.Metadata.ResourceVersion)
            {
                throw ApiErrors.Conflict(definition.GroupResource, name, $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {obj.Metadata.ResourceVersion}");
            }

            long? grace = options.GracePeriodSeconds;
            if (obj is V1Pod pod && !string.IsNullOrEmpty(pod.Spec?.NodeName))
            {
                grace ??= pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds ?? 30;
            }
            else
            {
                grace = 0;
            }

            bool hasFinalizers = HasFinalizers(obj);
            if (obj is V1Namespace terminating && hasFinalizers)
            {
                // A namespace stays Terminating until the namespace controller has emptied it and finalized it.
                terminating.Status ??= new V1NamespaceStatus();
                terminating.Status.Phase = "Terminating";
            }

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

            if (dryRun)
            {
                return obj;
            }

            try
            {
                if (hasFinalizers || grace > 0)
                {
                    if (obj.Metadata.DeletionTimestamp is null || (grace < obj.Metadata.DeletionGracePeriodSeconds))
                    {
                        obj.Metadata.DeletionTimestamp = Truncate(time.GetUtcNow().AddSeconds(grace ?? 0));
                        obj.Metadata.DeletionGracePeriodSeconds = grace;
                        if (grace == 0 && !hasFinalizers)
                        {
                            break;
                        }

                        KeyValue kv = await store.UpdateAsync(key, ObjectCodec.Encode(definition, obj), current.ModRevision, null, cancellationToken);
                        return ObjectCodec.Decode(definition, kv);
                    }

                    return obj;
                }

                DeleteResult deleted = await store.DeleteAsync(key, current.ModRevision, cancellationToken);
                await ReleaseAllocationsAsync(obj);
                obj.Metadata.ResourceVersion = deleted.Revision.ToString(CultureInfo.InvariantCulture);
                return obj;
            }
            catch (StorageException e) when (e.Code is StorageErrorCode.Conflict && attempt < MaxPatchRetries)
            {
            }
            catch (StorageException e) when (e.Code is StorageErrorCode.KeyNotFound)
            {
                throw ApiErrors.NotFound(definition.GroupResource, name);
            }
        }

        // A graceful pod whose grace ran down to zero: gone now.
        DeleteResult gone = await store.DeleteAsync(key, 0, cancellationToken);
        IKubernetesObject<V1ObjectMeta> last = ObjectCodec.Decode(definition, gone.Deleted);
        last.Metadata.ResourceVersion = gone.Revision.ToString(CultureInfo.InvariantCulture);
        return last;
    }

    private static void AddFinalizer(IKubernetesObject<V1ObjectMeta> obj, string finalizer)
    {
        obj.Metadata.Finalizers ??= [];
        if (!obj.Metadata.Finalizers.Contains(finalizer))
        {
            obj.Metadata.Finalizers.Add(finalizer);
        }
    }

    private static async Task<V1DeleteOptions> ReadDeleteOptionsAsync(HttpContext context)
    {
        V1DeleteOptions options = new();
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            JsonNode body = await RequestBody.ReadAsync(context, allowPatchTypes: false);
            try
            {
                options = body.Deserialize<V1DeleteOptions>(KubernetesSerialization.Options) ?? options;
            }
            catch (JsonException e)
            {
                throw ApiErrors.BadRequest($"unable to decode DeleteOptions: {e.Message.Split(" Path:")[0]}");
            }
        }

        IQueryCollection q = context.Request.Query;
        if (q.ContainsKey("gracePeriodSeconds"))
        {
            options.GracePeriodSeconds = ParseLong(q["gracePeriodSeconds"], "gracePeriodSeconds");
        }

        if (q["propagationPolicy"].ToString() is { Length: > 0 } policy)
        {
            options.PropagationPolicy = policy;
        }

        if (options.PropagationPolicy is { } p && p is not ("Orphan" or "Background" or "Foreground"))
        {
            throw ApiErrors.Invalid("DeleteOptions", "", "", [new FieldError(FieldErrorType.NotSupported, "propagationPolicy", p, "supported values: \"Foreground\", \"Background\", \"Orphan\"")]);
        }

        if (options.GracePeriodSeconds is < 0)
        {
            options.GracePeriodSeconds = 1;
        }

        return options;
    }

    private async Task BindAsync(HttpContext context, ResourceDefinition definition, string ns, string name)
    {
        JsonNode body = await RequestBody.ReadAsync(context, allowPatchTypes: false);
        string? node = body["target"]?["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(node))
        {
            throw ApiErrors.Invalid("Binding", "", name, [new FieldError(FieldErrorType.Required, "target.name", null, "")]);
        }

        for (int attempt = 0; ; attempt++)
        {
            KeyValue current = await store.GetAsync(definition.Key(ns, name), 0, context.RequestAborted) ?? throw ApiErrors.NotFound(definition.GroupResource, name);
            var pod = (V1Pod)ObjectCodec.Decode(definition, current);
            if (pod.Metadata.DeletionTimestamp is not null)
            {
                throw ApiErrors.Conflict(definition.GroupResource, name, $"pod {name} is being deleted, cannot be assigned to a host");
            }

            if (!string.IsNullOrEmpty(pod.Spec.NodeName))
            {
                throw ApiErrors.Conflict(definition.GroupResource, name, $"pod {name} is already assigned to node \"{pod.Spec.NodeName}\"");
            }

            pod.Spec.NodeName = node;
            pod.Status ??= new V1PodStatus();
            pod.Status.Conditions ??= [];
            // One PodScheduled condition: a scheduler that failed before (False, Unschedulable) is superseded.
            foreach (V1PodCondition stale in pod.Status.Conditions.Where(c => c.Type == "PodScheduled").ToList())
            {
                pod.Status.Conditions.Remove(stale);
            }

            pod.Status.Conditions.Add(new V1PodCondition { Type = "PodScheduled", Status = "True", LastTransitionTime = Truncate(time.GetUtcNow()) });
            try
            {
                await store.UpdateAsync(definition.Key(ns, name), ObjectCodec.Encode(definition, pod), current.ModRevision, null, context.RequestAborted);
                await Responder.WriteStatusAsync(context, Success(201));
                return;
            }
            catch (StorageException e) when (e.Code == StorageErrorCode.Conflict && attempt < MaxPatchRetries)
            {
            }
        }
    }

    private async Task EvictAsync(HttpContext context, ResourceDefinition definition, string ns, string name)
    {
        JsonNode body = await RequestBody.ReadAsync(context, allowPatchTypes: false);
        V1DeleteOptions options = body["deleteOptions"]?.Deserialize<V1DeleteOptions>(KubernetesSerialization.Options) ?? new V1DeleteOptions();
        await DeleteObjectAsync(definition, ns, name, options, DryRun(context), context.RequestAborted);
        await Responder.WriteStatusAsync(context, Success(201));
    }

    /// <summary><c>serviceaccounts/token</c>: a TokenRequest in, the same with its signed token out (201).</summary>
    private async Task RequestTokenAsync(HttpContext context, string ns, string name)
    {
        Authenticationv1TokenRequest request = await RequestBody.ReadAsAsync<Authenticationv1TokenRequest>(context);
        if (request.Kind is { Length: > 0 } kind && kind != "TokenRequest")
        {
            throw ApiErrors.BadRequest($"the body of the request must be a TokenRequest, not {kind}");
        }

        Authenticationv1TokenRequest issued = await Tokens!.IssueAsync(ns, name, request, context.RequestAborted);
        await Responder.WriteJsonAsync(context, 201, JsonSerializer.SerializeToNode(issued, KubernetesSerialization.Plain)!);
    }

    private static V1Status Success(int code)
    {
        V1Status status = Responder.Success(null, "", "", "");
        status.Details = null;
        status.Code = code;
        return status;
    }

    /// <summary>
    /// Decodes a body under the request's <c>fieldValidation</c>: Strict rejects unknown and duplicate fields (400),
    /// Warn accepts them with a <c>Warning</c> header, Ignore (the default) drops them.
    /// </summary>
    private static IKubernetesObject<V1ObjectMeta> Decode(ResourceDefinition definition, JsonNode body, HttpContext context)
    {
        switch (context.Request.Query["fieldValidation"].ToString())
        {
            case "Strict":
                return Decode(definition, body, strict: true);
            case "Warn":
                try
                {
                    return Decode(definition, body, strict: true);
                }
                catch (StatusException e) when (e.Status.Message?.StartsWith("strict decoding error", StringComparison.Ordinal) == true)
                {
                    context.Response.Headers.Append("Warning", $"299 - \"{e.Status.Message["strict decoding error: ".Length..].Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
                    return Decode(definition, body, strict: false);
                }

            case "" or "Ignore":
                return Decode(definition, body, strict: false);
            default:
                throw ApiErrors.BadRequest($"fieldValidation parameter unsupported: {context.Request.Query["fieldValidation"]}");
        }
    }

    private static IKubernetesObject<V1ObjectMeta> Decode(ResourceDefinition definition, JsonNode body, bool strict)
    {
        if (body is not JsonObject o)
        {
            throw ApiErrors.BadRequest("the request body must be a JSON object");
        }

        string? kind = o["kind"] is JsonValue k && k.TryGetValue(out string? ks) ? ks : null;
        string? apiVersion = o["apiVersion"] is JsonValue a && a.TryGetValue(out string? av) ? av : null;
        if ((kind is not null && kind != definition.Kind) || (apiVersion is not null && apiVersion != definition.ApiVersion))
        {
            throw ApiErrors.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({definition.ApiVersion})" +
                (kind is not null && kind != definition.Kind ? $", or the kind ({kind}) does not match the expected kind ({definition.Kind})" : ""));
        }

        return ObjectCodec.FromNode(definition, o, strict);
    }

    private static void Invalid(ResourceDefinition definition, IKubernetesObject<V1ObjectMeta> obj, IReadOnlyList<FieldError> errors)
    {
        if (errors.Count > 0)
        {
            throw ApiErrors.Invalid(definition.Kind, definition.Group, obj.Metadata?.Name ?? "", errors);
        }
    }

    internal static long ParseLong(string? value, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            return 0;
        }

        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long n)
            ? n
            : throw ApiErrors.BadRequest($"invalid {name}: {(value.Length > 64 ? value[..64] + "..." : value)}");
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static DateTime Truncate(DateTimeOffset t) => new(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Create(5, 0, (span, _) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
            }
        });
    }
}
