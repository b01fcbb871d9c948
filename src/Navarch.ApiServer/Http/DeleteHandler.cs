using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Http;

/// <summary>DELETE of one object or of a collection (apiserver's handlers.DeleteResource, DeleteCollection), with DeleteOptions from the body and the query.</summary>
internal static class DeleteHandler
{
    public static async Task ServeAsync(HttpContext context, RequestInfo info, GenericStore store)
    {
        V1DeleteOptions options = await ReadDeleteOptionsAsync(context, info.Options);
        bool dryRun = info.Options.DryRun || options.DryRun?.Contains("All") == true;
        DeletedObject result = await store.DeleteAsync(info.Namespace, info.Name!, options, dryRun, context.RequestAborted);
        if (result.Removed && !store.ReturnsDeletedObject)
        {
            // The registry Store's finalizeDelete: the resource (not the kind) in details.kind, and no code.
            ResourceDefinition definition = store.Definition;
            await Responder.WriteJsonAsync(context, 200, Responder.StatusJson(Responder.Success(result.Object.Metadata.Name, definition.Plural, definition.Group, result.Object.Metadata.Uid)));
            return;
        }

        // handlers.DeleteResource: 202 Accepted only for an object still there (finalizers, a grace period) whose delete
        // explicitly asked for cascading with orphanDependents=false; kube-apiserver keeps 200 for every other pending
        // delete (propagationPolicy included) so as not to break existing clients.
        int code = !result.Removed && options.OrphanDependents == false ? StatusCodes.Status202Accepted : StatusCodes.Status200OK;
        await Responder.WriteObjectAsync(context, code, store.Definition, result.Object, store.Now);
    }

    public static async Task ServeCollectionAsync(HttpContext context, RequestInfo info, GenericStore store)
    {
        V1DeleteOptions options = await ReadDeleteOptionsAsync(context, info.Options);
        var (deleted, revision) = await store.DeleteCollectionAsync(info.Namespace, info.Options.Labels, info.Options.Fields, options, info.Options.DryRun, context.RequestAborted);
        await Responder.WriteJsonAsync(context, 200, GoFieldOrder.List(store.Definition, new JsonObject
        {
            ["kind"] = store.Definition.ListKind,
            ["apiVersion"] = store.Definition.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) },
            ["items"] = new JsonArray(deleted.Select(d => (JsonNode?)ObjectCodec.ToResponseNode(d)).ToArray()),
        }));
    }

    private static async Task<V1DeleteOptions> ReadDeleteOptionsAsync(HttpContext context, RequestOptions query)
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

        if (query.GracePeriodSeconds is { } grace)
        {
            options.GracePeriodSeconds = grace;
        }

        if (query.OrphanDependents is { } orphan)
        {
            options.OrphanDependents = orphan;
        }

        if (query.PropagationPolicy is { } policy)
        {
            options.PropagationPolicy = policy;
        }

        // meta/v1 validation's ValidateDeleteOptions, reported as rest.BeforeDelete does (DeleteOptions.meta.k8s.io "").
        var errors = new List<FieldError>();
        if (options.OrphanDependents is not null && options.PropagationPolicy is { } both)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, "propagationPolicy", both, "orphanDependents and deletionPropagation cannot be both set"));
        }

        if (options.PropagationPolicy is { } p && p is not ("Orphan" or "Background" or "Foreground"))
        {
            errors.Add(new FieldError(FieldErrorType.NotSupported, "propagationPolicy", p, "supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""));
        }

        if (errors.Count > 0)
        {
            throw ApiErrors.Invalid("DeleteOptions", "meta.k8s.io", "", errors);
        }

        if (options.GracePeriodSeconds is < 0)
        {
            options.GracePeriodSeconds = 1;
        }

        return options;
    }
}
