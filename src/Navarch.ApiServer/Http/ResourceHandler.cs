using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.Api.Apiextensions;
using Navarch.ApiServer.Registry;
using Navarch.ApiServer.Registry.ManagedFields;

namespace Navarch.ApiServer.Http;

/// <summary>
/// Serves a resource request (apiserver's endpoints/handlers): finds the REST storage of the resource or its
/// subresource, calls it for the request's verb with the body read, and writes what it returns. A resource's REST is
/// its <see cref="GenericStore"/> unless its kind registers its own (the RBAC kinds' escalation checks, the create-only
/// reviews); list, watch, delete and deletecollection are always the generic store's, and only the verbs the resource
/// advertises are served. A subresource serves the verbs its REST storage implements; any other verb is 405.
/// </summary>
internal sealed class ResourceHandler(StoreRegistry stores, SubresourceRegistry subresources, Microsoft.Extensions.Logging.ILogger logger)
{
    private static readonly HashSet<string> PatchTypes = new(StringComparer.Ordinal)
    {
        "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml",
    };

    public async Task HandleAsync(HttpContext context, RequestInfo info, ResourceDefinition definition, UserInfo user)
    {
        if (info.Subresource is { } sub && !definition.Subresources.Contains(sub))
        {
            throw ApiErrors.NotFound(definition.GroupResource, info.Name ?? "");
        }

        if (definition.Namespaced && info.Namespace is null && (info.Name is not null || info.Verb is not ("list" or "watch")))
        {
            throw ApiErrors.NotFound(definition.GroupResource, info.Name ?? "");
        }

        if (info.Subresource is null && !definition.Verbs.Contains(info.Verb))
        {
            throw ApiErrors.MethodNotSupported(definition.GroupResource, context.Request.Method);
        }

        if (definition.Strategy is CustomResourceStrategy { DeprecationWarning: { } deprecated })
        {
            new WarningRecorder(context.Response).Add(deprecated);
        }

        GenericStore store = stores.For(definition);
        object? rest = subresources.Find(definition, info.Subresource) ?? (info.Subresource is null ? store : null);
        var request = new RestRequest(info, store, BodyDecoder.For(context, info), user) { UserAgent = context.Request.Headers.UserAgent.ToString() };
        switch (info.Verb, rest)
        {
            case (_, IRestConnecter connecter):
                await connecter.ConnectAsync(context, request);
                break;
            case ("list", IRestLister lister):
                await ListHandler.ServeAsync(context, store, await lister.ListAsync(request, context.RequestAborted));
                break;
            case ("list", _):
                await ListHandler.ServeAsync(context, info, store);
                break;
            case ("watch", _):
                await WatchHandler.ServeAsync(context, info, store, logger);
                break;
            case ("get", IRestGetter getter):
                await WriteAsync(context, 200, store, await getter.GetAsync(request, context.RequestAborted));
                break;
            case ("create", IRestCreater creater) when (info.Name is null) == (info.Subresource is null):
                JsonNode created = await RequestBody.ReadAsync(context, allowPatchTypes: false);
                await WriteAsync(context, 201, store, await creater.CreateAsync(request, created, context.RequestAborted));
                break;
            case ("update", IRestUpdater updater) when info.Name is not null:
                JsonNode body = await RequestBody.ReadAsync(context, allowPatchTypes: false);
                await WriteAsync(context, 200, store, await updater.UpdateAsync(request, body, context.RequestAborted));
                break;
            case ("patch", IRestPatcher patcher) when info.Name is not null:
                PatchBody patch = await ReadPatchAsync(context, definition, info.Options);
                object patched = await patcher.PatchAsync(request, patch, context.RequestAborted);
                await WriteAsync(context, patched is CreatedObject ? 201 : 200, store, patched is CreatedObject made ? made.Object : patched);
                break;
            case ("delete", _) when info.Subresource is null:
                await DeleteHandler.ServeAsync(context, info, store);
                break;
            case ("deletecollection", _):
                await DeleteHandler.ServeCollectionAsync(context, info, store);
                break;
            default:
                throw ApiErrors.MethodNotSupported(definition.GroupResource, context.Request.Method);
        }
    }

    private static async Task<PatchBody> ReadPatchAsync(HttpContext context, ResourceDefinition definition, RequestOptions options)
    {
        string type = (context.Request.ContentType ?? "").Split(';')[0].Trim();
        if (definition.ClrType == typeof(CustomResource) && type == "application/strategic-merge-patch+json")
        {
            // Custom resources have no patch strategies to merge by (apiextensions-apiserver's patch types).
            throw ApiErrors.UnsupportedPatchType(["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]);
        }

        if (!PatchTypes.Contains(type))
        {
            throw ApiErrors.UnsupportedMediaType(type);
        }

        FieldManagement.ValidatePatchOptions(type, options);
        return new PatchBody(type, await RequestBody.ReadAsync(context, allowPatchTypes: true));
    }

    /// <summary>Writes what a REST storage returned: an object of the resource (as a Table when asked), a Status, or another document as it is.</summary>
    private static Task WriteAsync(HttpContext context, int code, GenericStore store, object result) => result switch
    {
        V1Status status => Responder.WriteStatusAsync(context, status),
        JsonNode document => Responder.WriteJsonAsync(context, code, document),
        IKubernetesObject<V1ObjectMeta> obj => Responder.WriteObjectAsync(context, code, store.Definition, obj, store.Now),
        _ => throw new InvalidOperationException($"a REST storage returned {result.GetType()}"),
    };
}
