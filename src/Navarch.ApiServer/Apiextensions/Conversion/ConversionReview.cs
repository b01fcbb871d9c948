using System.Text.Json;
using System.Text.Json.Nodes;
using Navarch.Api;
using Navarch.Api.Apiextensions;

namespace Navarch.ApiServer.Apiextensions.Conversion;

/// <summary>apiextensions.k8s.io ConversionReview: the request the API server sends a conversion webhook, and the checks on the answer.</summary>
internal static class ConversionReview
{
    private const string Group = "apiextensions.k8s.io";

    /// <summary>The review (of <paramref name="version"/>, v1 or v1beta1) asking for <paramref name="objects"/> in <paramref name="apiVersion"/>.</summary>
    public static JsonObject Request(string version, string uid, string apiVersion, IReadOnlyList<CustomResource> objects) => new()
    {
        ["kind"] = "ConversionReview",
        ["apiVersion"] = $"{Group}/{version}",
        ["request"] = new JsonObject
        {
            ["uid"] = uid,
            ["desiredAPIVersion"] = apiVersion,
            ["objects"] = new JsonArray([.. objects.Select(o => JsonSerializer.SerializeToNode(o, KubernetesSerialization.Options))]),
        },
        // Kubernetes sends the empty response it will decode the answer into.
        ["response"] = new JsonObject { ["uid"] = "", ["convertedObjects"] = null, ["result"] = new JsonObject { ["metadata"] = new JsonObject() } },
    };

    /// <summary>
    /// The converted objects of the answer to review <paramref name="uid"/>; a malformed or failed answer is a
    /// <see cref="FormatException"/> with Kubernetes' words. A v1beta1 answer's kind and uid are not checked, as Kubernetes does not.
    /// </summary>
    public static JsonArray ConvertedObjects(string version, string uid, byte[] body)
    {
        JsonObject review;
        try
        {
            review = JsonNode.Parse(body) as JsonObject ?? throw new JsonException("not a JSON object");
        }
        catch (JsonException e)
        {
            throw new FormatException(e.Message, e);
        }

        string apiVersion = Text(review["apiVersion"]), kind = Text(review["kind"]);
        if (version == "v1" && (apiVersion != $"{Group}/v1" || kind != "ConversionReview"))
        {
            string gotGroupVersion = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion : "/" + apiVersion;
            throw new FormatException($"expected webhook response of {Group}/v1, Kind=ConversionReview, got {gotGroupVersion}, Kind={kind}");
        }

        if (review["response"] is not JsonObject response)
        {
            throw new FormatException("no response provided");
        }

        if (version == "v1" && Text(response["uid"]) != uid)
        {
            throw new FormatException($"expected response.uid=\"{uid}\", got \"{Text(response["uid"])}\"");
        }

        JsonObject? result = response["result"] as JsonObject;
        string status = Text(result?["status"]);
        if (status != "Success")
        {
            string message = Text(result?["message"]);
            throw new FormatException(message.Length > 0 ? message : $"response.result.status was '{status}', not 'Success'");
        }

        return response["convertedObjects"] as JsonArray ?? [];
    }

    private static string Text(JsonNode? node) => node is JsonValue value && value.TryGetValue(out string? text) ? text : "";
}
