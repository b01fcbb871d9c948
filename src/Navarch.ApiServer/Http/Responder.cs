using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.Api.Serialization;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Http;

/// <summary>Writes API objects, lists, tables and statuses the way kube-apiserver does.</summary>
internal static class Responder
{
    public static Task WriteJsonAsync(HttpContext context, int status, JsonNode node)
    {
        if (WriteProtobuf(context, status, node) is { } written)
        {
            return written;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        string json = node.ToJsonString(KubernetesSerialization.Plain);
        Audit.AuditContext.Of(context)?.LogResponseObject(node, json);
        return context.Response.WriteAsync(json, context.RequestAborted);
    }

    /// <summary>
    /// Writes <paramref name="node"/> in Kubernetes' protobuf when the client's Accept prefers it and its kind has a
    /// message; null when it goes out as JSON.
    /// </summary>
    private static Task? WriteProtobuf(HttpContext context, int status, JsonNode node)
    {
        if (node is not JsonObject obj || !context.Request.Headers.Accept.ToString().Contains("protobuf", StringComparison.Ordinal))
        {
            return null;
        }

        switch (Negotiate(context, (obj["apiVersion"] as JsonValue)?.ToString() ?? "", (obj["kind"] as JsonValue)?.ToString() ?? ""))
        {
            case ProtobufNegotiation.Choice.NotAcceptable when status < 400:
                return WriteStatusAsync(context, ApiErrors.NotAcceptable(context.Request.Headers.Accept.ToString()).Status);
            case ProtobufNegotiation.Choice.Protobuf:
                byte[] bytes;
                try
                {
                    bytes = KubernetesProtobuf.Encode(obj);
                }
                catch (FormatException)
                {
                    // A field the generated message lacks: JSON keeps it, where protobuf would drop it.
                    return null;
                }

                if (Audit.AuditContext.Of(context) is { } audit)
                {
                    audit.LogResponseObject(node, node.ToJsonString(KubernetesSerialization.Plain));
                }

                context.Response.StatusCode = status;
                context.Response.ContentType = KubernetesProtobuf.MediaType;
                return context.Response.Body.WriteAsync(bytes, context.RequestAborted).AsTask();
            default:
                return null;
        }
    }

    /// <summary>The encoding the client's Accept asks for an object of <paramref name="apiVersion"/> <paramref name="kind"/>.</summary>
    public static ProtobufNegotiation.Choice Negotiate(HttpContext context, string apiVersion, string kind) =>
        context.Request.Headers.Accept.ToString().Contains("protobuf", StringComparison.Ordinal)
            ? ProtobufNegotiation.Negotiate(context, KubernetesProtobuf.Supports(apiVersion, kind))
            : ProtobufNegotiation.Choice.Json;

    public static Task WriteObjectAsync(HttpContext context, int status, ResourceDefinition definition, IKubernetesObject<V1ObjectMeta> obj, DateTimeOffset now)
    {
        if (WantsTable(context))
        {
            return WriteJsonAsync(context, status, Table(context, definition, obj, now));
        }

        return WriteJsonAsync(context, status, ObjectCodec.ToResponseNode(obj));
    }

    public static Task WriteStatusAsync(HttpContext context, V1Status status)
    {
        Audit.AuditContext.Of(context)?.LogResponseStatus(status);
        return WriteJsonAsync(context, status.Code ?? 500, StatusJson(status));
    }

    /// <summary>A Status as JSON (the client's own converter for Status only reads), as Go's encoder writes metav1.Status.</summary>
    public static JsonObject StatusJson(V1Status status)
    {
        var node = (JsonObject)JsonSerializer.SerializeToNode(status, KubernetesSerialization.Plain)!;
        node.Remove("HasObject");
        node["metadata"] ??= new JsonObject();
        if (node["details"] is JsonObject details)
        {
            if (details["causes"] is JsonArray causes)
            {
                details["causes"] = new JsonArray(causes.OfType<JsonObject>().Select(c => (JsonNode?)GoStruct(c, StatusCauseFields)).ToArray());
            }

            JsonObject shaped = GoStruct(details, StatusDetailsFields);
            // Details is a pointer, nil for the errors that name nothing (a BadRequest).
            node["details"] = shaped.Count == 0 ? null : shaped;
        }

        return GoStruct(node, StatusFields, keep: "metadata");
    }

    // The fields in the order of their Go structs; all but metav1.Status' metadata are omitempty.
    private static readonly string[] StatusFields = ["kind", "apiVersion", "metadata", "status", "message", "reason", "details", "code"];
    private static readonly string[] StatusDetailsFields = ["name", "group", "kind", "uid", "causes", "retryAfterSeconds"];
    private static readonly string[] StatusCauseFields = ["reason", "message", "field"];

    /// <summary>
    /// <paramref name="node"/>'s fields in <paramref name="order"/> (any others after), without the empty ones (Go's
    /// omitempty: "", 0, null, []) except <paramref name="keep"/> — so a core resource's error has no "group": "".
    /// </summary>
    private static JsonObject GoStruct(JsonObject node, string[] order, string? keep = null)
    {
        var shaped = new JsonObject();
        foreach (string name in order.Concat(node.Select(p => p.Key).Except(order)).ToList())
        {
            if (node.TryGetPropertyValue(name, out JsonNode? value) && (name == keep || !IsEmpty(value)))
            {
                node.Remove(name);
                shaped[name] = value;
            }
        }

        return shaped;
    }

    private static bool IsEmpty(JsonNode? value) => value switch
    {
        null => true,
        JsonArray array => array.Count == 0,
        JsonValue v when v.TryGetValue(out string? text) => text.Length == 0,
        JsonValue v when v.TryGetValue(out int number) => number == 0,
        _ => false,
    };

    public static V1Status Success(string? name, string kind, string group, string uid) => new()
    {
        ApiVersion = "v1",
        Kind = "Status",
        Metadata = new V1ListMeta(),
        Status = "Success",
        Details = new V1StatusDetails { Name = name, Kind = kind, Group = group, Uid = uid },
    };

    /// <summary>The bare Success a subresource create answers with (pods/binding, pods/eviction): 201, no details.</summary>
    public static V1Status Created()
    {
        V1Status status = Success(null, "", "", "");
        status.Details = null;
        status.Code = 201;
        return status;
    }

    /// <summary>True when the client asked for server-side printing (<c>as=Table</c>), as kubectl get does.</summary>
    public static bool WantsTable(HttpContext context) =>
        context.Request.Headers.Accept.ToString().Contains("as=Table", StringComparison.Ordinal);

    /// <summary>A meta.k8s.io/v1 Table of one object (a GET or a watch event), at the object's resourceVersion.</summary>
    public static JsonObject Table(HttpContext context, ResourceDefinition definition, IKubernetesObject<V1ObjectMeta> obj, DateTimeOffset now) =>
        Table(context, definition, [obj], new JsonObject { ["resourceVersion"] = obj.Metadata.ResourceVersion ?? "" }, now);

    /// <summary>A meta.k8s.io/v1 Table of <paramref name="items"/> with the strategy's columns and the list's <paramref name="metadata"/>.</summary>
    public static JsonObject Table(HttpContext context, ResourceDefinition definition, IEnumerable<IKubernetesObject<V1ObjectMeta>> items, JsonObject metadata, DateTimeOffset now)
    {
        string include = context.Request.Query["includeObject"].ToString();
        var rows = new JsonArray();
        foreach (IKubernetesObject<V1ObjectMeta> item in items)
        {
            var cells = new JsonArray(definition.Strategy.TableRow(item, now).Select(c => c is null ? null : JsonSerializer.SerializeToNode(c, c.GetType())).ToArray());
            JsonNode? obj = include switch
            {
                "None" => null,
                "Object" => ObjectCodec.ToNode(item),
                _ => new JsonObject
                {
                    ["kind"] = "PartialObjectMetadata",
                    ["apiVersion"] = "meta.k8s.io/v1",
                    ["metadata"] = JsonSerializer.SerializeToNode(item.Metadata, KubernetesSerialization.Options),
                },
            };
            rows.Add(new JsonObject { ["cells"] = cells, ["object"] = obj });
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = metadata,
            ["columnDefinitions"] = JsonSerializer.SerializeToNode(definition.Strategy.TableColumns),
            ["rows"] = rows,
        };
    }
}
