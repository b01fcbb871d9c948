using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Apiextensions;
using Navarch.ApiServer.Admission.Webhooks;

namespace Navarch.ApiServer.Apiextensions.Conversion;

/// <summary>
/// Conversion <c>Webhook</c> (apiextensions-apiserver's webhookConverter): the objects go to the CRD's conversion
/// webhook in one ConversionReview (v1, or v1beta1 when the CRD names only that), and what comes back is checked as
/// Kubernetes checks it — the review's kind and uid, <c>result.status</c> Success, one object per object sent, each of
/// the desired apiVersion and the same kind, name, namespace and uid — before its metadata is put back as it was,
/// except labels and annotations, which a webhook may change. Every failure is kube-apiserver's 500
/// <c>conversion webhook for &lt;group/version, Kind=kind&gt; failed: ...</c>.
/// </summary>
internal sealed class ConversionWebhook(WebhookClient client, V1CustomResourceDefinition crd) : ICustomResourceConversion
{
    /// <summary>The REST client's timeout for a conversion webhook, which has no timeoutSeconds of its own.</summary>
    private const int TimeoutSeconds = 30;

    private readonly WebhookTarget _target = WebhookTarget.From(crd.Spec.Conversion.Webhook.ClientConfig);
    private readonly string? _reviewVersion = crd.Spec.Conversion.Webhook.ConversionReviewVersions?.FirstOrDefault(v => v is "v1" or "v1beta1");

    public bool InProcess => false;

    public async ValueTask<IReadOnlyList<CustomResource>> ConvertAsync(IReadOnlyList<CustomResource> objects, string apiVersion, CancellationToken cancellationToken)
    {
        if (_reviewVersion is null)
        {
            throw ApiErrors.Unclassified("no supported conversion review versions");
        }

        string from = $"{objects[0].ApiVersion}, Kind={objects[0].Kind}";
        string uid = Guid.NewGuid().ToString();
        byte[] answer;
        try
        {
            answer = await client.PostAsync(_target, TimeoutSeconds, ConversionReview.Request(_reviewVersion, uid, apiVersion, objects), cancellationToken);
        }
        catch (WebhookPostException e)
        {
            throw ApiErrors.Unclassified($"conversion webhook for {from} failed: {e.Message}");
        }

        JsonArray converted;
        try
        {
            converted = ConversionReview.ConvertedObjects(_reviewVersion, uid, answer);
        }
        catch (FormatException e)
        {
            throw ApiErrors.Unclassified($"conversion webhook for {from} failed: {e.Message}");
        }

        if (converted.Count != objects.Count)
        {
            throw ApiErrors.Unclassified($"conversion webhook for {from} returned {converted.Count} objects, expected {objects.Count}");
        }

        var result = new List<CustomResource>(objects.Count);
        for (int i = 0; i < objects.Count; i++)
        {
            result.Add(Check(objects[i], converted[i], apiVersion, from, i, single: objects.Count == 1));
        }

        return result;
    }

    /// <summary>One converted object, checked against the one sent and given its metadata back.</summary>
    private static CustomResource Check(CustomResource original, JsonNode? node, string apiVersion, string from, int index, bool single)
    {
        string invalid = single ? $"conversion webhook for {from} returned invalid object" : $"conversion webhook for {from} returned invalid converted object at index {index}";
        if (node is not JsonObject obj)
        {
            throw ApiErrors.Unclassified($"{invalid}: Object 'Kind' is missing in '{node?.ToJsonString() ?? "null"}'");
        }

        string gotVersion = Text(obj["apiVersion"]), gotKind = Text(obj["kind"]);
        if (gotVersion != apiVersion)
        {
            throw ApiErrors.Unclassified($"{(single ? $"conversion webhook for {from} returned invalid object at index 0" : invalid)}: invalid groupVersion (expected {apiVersion}, received {gotVersion})");
        }

        if (gotKind != original.Kind)
        {
            throw ApiErrors.Unclassified($"{(single ? $"conversion webhook for {from} returned invalid object at index 0" : invalid)}: invalid kind (expected {original.Kind}, received {gotKind})");
        }

        JsonObject? metadata = obj["metadata"] as JsonObject;
        string? mismatch =
            Text(metadata?["name"]) != (original.Metadata.Name ?? "") ? $"must have the same name: {original.Metadata.Name} != {Text(metadata?["name"])}"
            : Text(metadata?["namespace"]) != (original.Metadata.NamespaceProperty ?? "") ? $"must have the same namespace: {original.Metadata.NamespaceProperty} != {Text(metadata?["namespace"])}"
            : Text(metadata?["uid"]) != (original.Metadata.Uid ?? "") ? $"must have the same UID: {original.Metadata.Uid} != {Text(metadata?["uid"])}"
            : null;
        if (mismatch is not null)
        {
            throw ApiErrors.Unclassified($"{invalid}: {mismatch}");
        }

        string invalidMetadata = single ? $"conversion webhook for {from} returned invalid metadata" : $"conversion webhook for {from} returned invalid metadata in object at index {index}";
        if (metadata is null)
        {
            throw ApiErrors.Unclassified($"{invalidMetadata}: missing metadata in converted object");
        }

        CustomResource resource;
        try
        {
            resource = JsonSerializer.Deserialize<CustomResource>(obj, KubernetesSerialization.Options)!;
        }
        catch (JsonException e)
        {
            throw ApiErrors.Unclassified($"{invalid}: {e.Message}");
        }

        // apiextensions-apiserver's restoreObjectMeta: the metadata is the original's, with the webhook's labels and annotations.
        resource.Metadata = original.Metadata;
        resource.Metadata.Labels = StringMap(metadata["labels"], "labels", invalidMetadata);
        resource.Metadata.Annotations = StringMap(metadata["annotations"], "annotations", invalidMetadata);
        return resource;
    }

    private static Dictionary<string, string>? StringMap(JsonNode? node, string field, string invalidMetadata)
    {
        if (node is null)
        {
            return null;
        }

        if (node is not JsonObject map)
        {
            throw ApiErrors.Unclassified($"{invalidMetadata}: invalid metadata.{field} of type {GoType(node)} in converted object");
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, JsonNode? value) in map)
        {
            result[key] = value is JsonValue v && v.TryGetValue(out string? text)
                ? text
                : throw ApiErrors.Unclassified($"{invalidMetadata}: metadata.{field}[{key}] must be a string, but is {GoType(value)} in converted object");
        }

        return result;
    }

    private static string GoType(JsonNode? node) => node switch
    {
        null => "<nil>",
        JsonObject => "map[string]interface {}",
        JsonArray => "[]interface {}",
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => "bool",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => "int64",
        _ => "string",
    };

    private static string Text(JsonNode? node) => node is JsonValue value && value.TryGetValue(out string? text) ? text : "";
}
