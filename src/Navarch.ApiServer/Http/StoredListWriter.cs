using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.Api.Serialization;
using Navarch.ApiServer.Registry;
using Navarch.Storage;

namespace Navarch.ApiServer.Http;

/// <summary>
/// A LIST written from the bytes the store keeps, without a model object or a JSON tree per item: in JSON each item is
/// copied (<see cref="StoredObjectJson"/>; only an item that must be rewritten is decoded), in protobuf each item's
/// JSON is read once straight into its message (<see cref="ProtobufListWriter"/>). Both answer byte for byte what
/// the decoding path (<see cref="ListHandler"/>) would.
/// </summary>
internal static class StoredListWriter
{
    /// <summary>How much JSON collects before it goes to the client, so a large list is never held whole.</summary>
    private const int FlushBytes = 64 * 1024;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // The response's encoder (KubernetesSerialization.Plain), not the store's.
        Encoder = KubernetesSerialization.Plain.Encoder,
        MaxDepth = KubernetesSerialization.MaxDepth,
        SkipValidation = true,
    };

    /// <summary>Writes <paramref name="page"/> of <paramref name="store"/>'s resource, which must be <see cref="StoredObjectJson.Servable"/>.</summary>
    public static async Task WriteAsync(HttpContext context, GenericStore store, ListResult page)
    {
        ResourceDefinition definition = store.Definition;
        JsonObject metadata = ListHandler.Metadata(page.Revision, page.Continue, page.RemainingCount);
        switch (Responder.Negotiate(context, definition.ApiVersion, definition.ListKind))
        {
            case ProtobufNegotiation.Choice.NotAcceptable:
                await Responder.WriteStatusAsync(context, ApiErrors.NotAcceptable(context.Request.Headers.Accept.ToString()).Status);
                return;
            case ProtobufNegotiation.Choice.Protobuf:
                using (var list = Protobuf(definition, metadata, page))
                {
                    if (list is not null)
                    {
                        context.Response.StatusCode = 200;
                        context.Response.ContentType = KubernetesProtobuf.MediaType;
                        await context.Response.Body.WriteAsync(list.Complete(), context.RequestAborted);
                        return;
                    }
                }

                break;
        }

        await WriteJsonAsync(context, store, metadata, page);
    }

    /// <summary>The list in protobuf; null when an item has a field its message lacks (JSON keeps it, where protobuf would drop it).</summary>
    private static ProtobufListWriter? Protobuf(ResourceDefinition definition, JsonObject metadata, ListResult page)
    {
        IReadOnlyList<string> valueStructs = ObjectCodec.ValueStructFields(definition.ClrType);
        ProtobufListWriter? list = null;
        try
        {
            list = new ProtobufListWriter(definition.ApiVersion, definition.ListKind, metadata);
            foreach (KeyValue kv in page.Items)
            {
                list.WriteStoredItem(kv.Value, kv.ModRevision.ToString(CultureInfo.InvariantCulture), valueStructs);
            }

            return list;
        }
        catch (FormatException)
        {
            list?.Dispose();
            return null;
        }
    }

    private static async Task WriteJsonAsync(HttpContext context, GenericStore store, JsonObject metadata, ListResult page)
    {
        ResourceDefinition definition = store.Definition;
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        PipeWriter body = context.Response.BodyWriter;
        await using var writer = new Utf8JsonWriter(body, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("kind"u8, definition.ListKind);
        writer.WriteString("apiVersion"u8, definition.ApiVersion);
        writer.WritePropertyName("metadata"u8);
        metadata.WriteTo(writer);
        writer.WritePropertyName("items"u8);
        writer.WriteStartArray();
        foreach (KeyValue kv in page.Items)
        {
            if (!StoredObjectJson.TryWrite(writer, definition, kv))
            {
                ObjectCodec.ToResponseNode(store.Decode(kv)).WriteTo(writer);
            }

            if (writer.BytesPending >= FlushBytes)
            {
                writer.Flush();
                await body.FlushAsync(context.RequestAborted);
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        await body.FlushAsync(context.RequestAborted);
    }
}
