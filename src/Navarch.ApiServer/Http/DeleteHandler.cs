using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Http;

/// <summary>DELETE of one object or of a collection (apiserver's handlers.DeleteResource, DeleteCollection), with DeleteOptions from the body, or else the query.</summary>
internal static class DeleteHandler
{
    public static async Task ServeAsync(HttpContext context, RequestInfo info, GenericStore store)
    {
        V1DeleteOptions options = await ReadDeleteOptionsAsync(context);
        bool dryRun = options.DryRun is { Count: > 0 };
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
        V1DeleteOptions options = await ReadDeleteOptionsAsync(context);
        bool dryRun = options.DryRun is { Count: > 0 };
        var (deleted, revision) = await store.DeleteCollectionAsync(info.Namespace, info.Options.Labels, info.Options.Fields, options, dryRun, context.RequestAborted);
        await Responder.WriteJsonAsync(context, 200, GoFieldOrder.List(store.Definition, new JsonObject
        {
            ["kind"] = store.Definition.ListKind,
            ["apiVersion"] = store.Definition.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) },
            ["items"] = new JsonArray(deleted.Select(d => (JsonNode?)ObjectCodec.ToResponseNode(d)).ToArray()),
        }));
    }

    /// <summary>
    /// The request's DeleteOptions as handlers.DeleteResource and DeleteCollection take them: from the body when there is
    /// one — its query's options (dryRun included) are then ignored, not merged — and from the query otherwise (a
    /// malformed value is a 400); then meta/v1's ValidateDeleteOptions (a 422 on <c>DeleteOptions.meta.k8s.io ""</c>),
    /// all before the object is looked up, so a bad option on a missing object is that error and not a 404.
    /// </summary>
    private static async Task<V1DeleteOptions> ReadDeleteOptionsAsync(HttpContext context)
    {
        V1DeleteOptions options;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            JsonNode body = await RequestBody.ReadAsync(context, allowPatchTypes: false);
            try
            {
                options = body.Deserialize<V1DeleteOptions>(KubernetesSerialization.Options) ?? new V1DeleteOptions();
            }
            catch (JsonException e)
            {
                throw ApiErrors.BadRequest($"unable to decode DeleteOptions: {e.Message.Split(" Path:")[0]}");
            }
        }
        else
        {
            options = FromQuery(context.Request.Query);
        }

        Validate(options);
        if (options.GracePeriodSeconds is < 0)
        {
            // rest.BeforeDelete: a negative grace period means the shortest one, 1 s.
            options.GracePeriodSeconds = 1;
        }

        return options;
    }

    /// <summary>The query's DeleteOptions as the parameter codec converts them: a number that does not parse is a 400 with strconv's error.</summary>
    private static V1DeleteOptions FromQuery(IQueryCollection query)
    {
        var options = new V1DeleteOptions();
        if (query.TryGetValue("gracePeriodSeconds", out var grace) && grace.Count > 0)
        {
            string value = grace[0] ?? "";
            options.GracePeriodSeconds = long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long seconds)
                ? seconds
                : throw ApiErrors.BadRequest($"strconv.ParseInt: parsing {Authorization.Rbac.PolicyRuleFormat.Quote(value)}: {(IsInteger(value) ? "value out of range" : "invalid syntax")}");
        }

        if (query.TryGetValue("propagationPolicy", out var policy) && policy.Count > 0)
        {
            options.PropagationPolicy = policy[0] ?? "";
        }

        if (query.ContainsKey("orphanDependents"))
        {
            options.OrphanDependents = RequestOptions.Flag(query, "orphanDependents");
        }

        if (query.TryGetValue("dryRun", out var dryRun) && dryRun.Count > 0)
        {
            options.DryRun = dryRun.Select(v => v ?? "").ToList();
        }

        return options;
    }

    /// <summary>meta/v1 validation's ValidateDeleteOptions, reported as the delete handlers report it.</summary>
    private static void Validate(V1DeleteOptions options)
    {
        var errors = new List<FieldError>();
        if (options.OrphanDependents is not null && options.PropagationPolicy is { } both)
        {
            errors.Add(new FieldError(FieldErrorType.Invalid, "propagationPolicy", both, "orphanDependents and deletionPropagation cannot be both set"));
        }

        if (options.PropagationPolicy is { } p && p is not ("Orphan" or "Background" or "Foreground"))
        {
            errors.Add(new FieldError(FieldErrorType.NotSupported, "propagationPolicy", p, "supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""));
        }

        if (RequestOptions.DryRunError([.. options.DryRun ?? []]) is { } dryRun)
        {
            errors.Add(dryRun);
        }

        if (errors.Count > 0)
        {
            throw ApiErrors.Invalid("DeleteOptions", "meta.k8s.io", "", errors);
        }
    }

    /// <summary>strconv.ParseInt's two errors: a number it cannot hold is out of range, anything else bad syntax.</summary>
    private static bool IsInteger(string value)
    {
        ReadOnlySpan<char> digits = value.AsSpan(value.StartsWith('-') || value.StartsWith('+') ? 1 : 0);
        return !digits.IsEmpty && !digits.ContainsAnyExceptInRange('0', '9');
    }
}
