using System.Globalization;
using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api;
using Microsoft.AspNetCore.Http;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Http;

/// <summary>LIST (apiserver's handlers.ListResource): one page of the collection, as a List or, for kubectl get, a Table.</summary>
internal static class ListHandler
{
    public static async Task ServeAsync(HttpContext context, RequestInfo info, GenericStore store)
    {
        RequestOptions o = info.Options;
        bool exact = o.ResourceVersionMatch == "Exact";
        var query = new ListQuery(o.Labels, o.Fields, o.Limit, o.Continue, exact ? o.Revision : 0, AnyRevision: o.ResourceVersion == "0", MinRevision: exact ? 0 : o.Revision);
        if (Responder.WantsTable(context) || !StoredObjectJson.Servable(store.Definition) || Audit.AuditContext.Of(context)?.WantsResponseObject == true)
        {
            // A table is made from the objects, a converted or custom resource is rewritten on read, and an audit
            // event that records the response takes it as a tree: these decode every item.
            await ServeAsync(context, store, await store.ListAsync(info.Namespace, query, context.RequestAborted));
            return;
        }

        await StoredListWriter.WriteAsync(context, store, await store.ListStoredAsync(info.Namespace, query, context.RequestAborted));
    }

    /// <summary>Writes a page a REST storage listed itself (<see cref="IRestLister"/>).</summary>
    public static async Task ServeAsync(HttpContext context, GenericStore store, ListPage page)
    {
        ResourceDefinition definition = store.Definition;
        if (Responder.WantsTable(context))
        {
            await Responder.WriteJsonAsync(context, 200, Responder.Table(context, definition, page.Items, Metadata(page.Revision, page.Continue, page.RemainingCount), store.Now));
            return;
        }

        await Responder.WriteJsonAsync(context, 200, GoFieldOrder.List(definition, new JsonObject
        {
            ["kind"] = definition.ListKind,
            ["apiVersion"] = definition.ApiVersion,
            ["metadata"] = Metadata(page.Revision, page.Continue, page.RemainingCount),
            ["items"] = new JsonArray(page.Items.Select(i => (JsonNode?)ObjectCodec.ToResponseNode(i)).ToArray()),
        }));
    }

    /// <summary>A list's ListMeta: the revision it was read at and, when more pages follow, how to get them.</summary>
    public static JsonObject Metadata(long revision, string? continueToken, long? remaining)
    {
        var metadata = new JsonObject { ["resourceVersion"] = Revision(revision) };
        if (continueToken is not null)
        {
            metadata["continue"] = continueToken;

            // A pointer with omitempty in ListMeta: absent, not null, when the count is unknown (a page read through a selector).
            if (remaining is not null)
            {
                metadata["remainingItemCount"] = remaining;
            }
        }

        return metadata;
    }

    private static string Revision(long revision) => revision.ToString(CultureInfo.InvariantCulture);
}
