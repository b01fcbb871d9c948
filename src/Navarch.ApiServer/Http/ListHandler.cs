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
        await ServeAsync(context, store, await store.ListAsync(info.Namespace, query, context.RequestAborted));
    }

    /// <summary>Writes a page a REST storage listed itself (<see cref="IRestLister"/>).</summary>
    public static async Task ServeAsync(HttpContext context, GenericStore store, ListPage page)
    {
        ResourceDefinition definition = store.Definition;
        string rv = page.Revision.ToString(CultureInfo.InvariantCulture);
        if (Responder.WantsTable(context))
        {
            await Responder.WriteJsonAsync(context, 200, Responder.Table(context, definition, page.Items, rv, page.Continue, store.Now));
            return;
        }

        var metadata = new JsonObject { ["resourceVersion"] = rv };
        if (page.Continue is not null)
        {
            metadata["continue"] = page.Continue;
            metadata["remainingItemCount"] = page.RemainingCount;
        }

        await Responder.WriteJsonAsync(context, 200, GoFieldOrder.List(definition, new JsonObject
        {
            ["kind"] = definition.ListKind,
            ["apiVersion"] = definition.ApiVersion,
            ["metadata"] = metadata,
            ["items"] = new JsonArray(page.Items.Select(i => (JsonNode?)ObjectCodec.ToResponseNode(i)).ToArray()),
        }));
    }
}
