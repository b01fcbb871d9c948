using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Admission.Webhooks;

/// <summary>
/// admission.k8s.io/v1 AdmissionReview: the request the API server sends a webhook for one admission, and the checks
/// on the answer (Kubernetes' webhook/request package).
/// </summary>
internal static class AdmissionReview
{
    private const string ApiVersion = "admission.k8s.io/v1";

    /// <summary>
    /// The review of <paramref name="request"/> on <paramref name="resource"/> (the version the webhook matched), with the
    /// request's objects as that version (<paramref name="obj"/>, <paramref name="oldObject"/>).
    /// </summary>
    public static JsonObject Request(string uid, AdmissionRequest request, ResourceDefinition resource, IKubernetesObject<V1ObjectMeta>? obj, IKubernetesObject<V1ObjectMeta>? oldObject)
    {
        Http.UserInfo? user = request.User;
        var userInfo = new JsonObject { ["username"] = user?.Name ?? "" };
        if (!string.IsNullOrEmpty(user?.Uid))
        {
            userInfo["uid"] = user.Uid;
        }

        if (user?.Groups is { Count: > 0 } groups)
        {
            userInfo["groups"] = new JsonArray([.. groups.Select(g => JsonValue.Create(g))]);
        }

        if (user?.Extra is { Count: > 0 } extra)
        {
            userInfo["extra"] = new JsonObject(extra.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)new JsonArray([.. e.Value.Select(v => JsonValue.Create(v))]))));
        }

        string operation = AdmissionRules.OperationName(request.Operation);
        JsonObject kind = new() { ["group"] = resource.Group, ["version"] = resource.Version, ["kind"] = resource.Kind };
        JsonObject gvr = new() { ["group"] = resource.Group, ["version"] = resource.Version, ["resource"] = resource.Plural };
        ResourceDefinition asked = request.Resource;
        var body = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = kind,
            ["resource"] = gvr,
            ["requestKind"] = new JsonObject { ["group"] = asked.Group, ["version"] = asked.Version, ["kind"] = asked.Kind },
            ["requestResource"] = new JsonObject { ["group"] = asked.Group, ["version"] = asked.Version, ["resource"] = asked.Plural },
            ["name"] = request.Name,
            ["operation"] = operation,
            ["userInfo"] = userInfo,
            ["object"] = obj is null ? null : ObjectCodec.ToNode(obj),
            ["oldObject"] = oldObject is null ? null : ObjectCodec.ToNode(oldObject),
            ["dryRun"] = request.DryRun,
            ["options"] = Options(request),
        };
        if (request.Subresource is { } subresource)
        {
            body["subResource"] = subresource;
            body["requestSubResource"] = subresource;
        }

        if (!string.IsNullOrEmpty(request.Namespace))
        {
            body["namespace"] = request.Namespace;
        }

        return new JsonObject { ["kind"] = "AdmissionReview", ["apiVersion"] = ApiVersion, ["request"] = body };
    }

    /// <summary>The options of the operation as the request carried them (CreateOptions, UpdateOptions, DeleteOptions).</summary>
    private static JsonObject Options(AdmissionRequest request)
    {
        var options = new JsonObject
        {
            ["kind"] = request.Operation switch { AdmissionOperation.Create => "CreateOptions", AdmissionOperation.Update => "UpdateOptions", _ => "DeleteOptions" },
            ["apiVersion"] = "meta.k8s.io/v1",
        };
        if (request.DryRun)
        {
            options["dryRun"] = new JsonArray("All");
        }

        return options;
    }

    /// <summary>
    /// Reads a webhook's answer to the review with <paramref name="uid"/>; what is not a v1 AdmissionReview answering it is
    /// an invalid response (Kubernetes' VerifyAdmissionResponse).
    /// </summary>
    public static WebhookResponse Response(string webhook, string uid, ReadOnlySpan<byte> body)
    {
        JsonObject review;
        try
        {
            review = JsonNode.Parse(body) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            throw Invalid(webhook, $"unable to decode the response: {e.Message}");
        }

        string? apiVersion = Text(review["apiVersion"]), kind = Text(review["kind"]);
        if (apiVersion != ApiVersion || kind != "AdmissionReview")
        {
            throw Invalid(webhook, $"expected webhook response of {ApiVersion}, Kind=AdmissionReview, got {apiVersion}, Kind={kind}");
        }

        if (review["response"] is not JsonObject response)
        {
            throw Invalid(webhook, "webhook response was absent");
        }

        if (Text(response["uid"]) != uid)
        {
            throw Invalid(webhook, $"expected response.uid=\"{uid}\", got \"{Text(response["uid"])}\"");
        }

        JsonNode? patch = null;
        if (Text(response["patch"]) is { Length: > 0 } encoded)
        {
            try
            {
                patch = JsonNode.Parse(Convert.FromBase64String(encoded));
            }
            catch (Exception e) when (e is FormatException or JsonException)
            {
                throw Invalid(webhook, $"the patch is not base64-encoded JSON: {e.Message}");
            }
        }

        V1Status? status = null;
        if (response["status"] is JsonObject statusNode)
        {
            status = statusNode.Deserialize<V1Status>(KubernetesSerialization.Options);
        }

        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        if (response["auditAnnotations"] is JsonObject audit)
        {
            foreach ((string key, JsonNode? value) in audit)
            {
                annotations[key] = Text(value) ?? "";
            }
        }

        List<string> warnings = response["warnings"] is JsonArray list ? list.Select(Text).OfType<string>().ToList() : [];
        return new WebhookResponse(response["allowed"] is JsonValue allowed && allowed.TryGetValue(out bool yes) && yes, status, patch, Text(response["patchType"]), annotations, warnings);
    }

    private static WebhookCallException Invalid(string webhook, string reason) => new(webhook, "received invalid webhook response: " + reason);

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue(out string? text) ? text : null;

    /// <summary>The bytes of a review, to send.</summary>
    public static byte[] Encode(JsonObject review) => Encoding.UTF8.GetBytes(review.ToJsonString());
}
