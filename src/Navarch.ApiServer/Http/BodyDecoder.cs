using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.Api.Apiextensions;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Http;

/// <summary>
/// Decodes request bodies as objects under the request's <c>fieldValidation</c>: Strict rejects unknown and duplicate
/// fields (400), Warn accepts them with a <c>Warning</c> header, Ignore (the default) drops them. A body whose kind
/// or apiVersion is not the resource's is a 400.
/// </summary>
internal static class BodyDecoder
{
    /// <summary>The decoder of one request.</summary>
    public static ObjectDecoder For(HttpContext context, RequestInfo info) =>
        (definition, body) => Decode(definition, body, context, info.Options.FieldValidation);

    private static IKubernetesObject<V1ObjectMeta> Decode(ResourceDefinition definition, JsonNode body, HttpContext context, string fieldValidation)
    {
        if (definition.Strategy is CustomResourceStrategy custom)
        {
            return DecodeCustomResource(definition, custom, body, context, fieldValidation);
        }

        switch (fieldValidation)
        {
            case "Strict":
                return Decode(definition, body, strict: true);
            case "Warn":
                try
                {
                    return Decode(definition, body, strict: true);
                }
                catch (StatusException e) when (e.Status.Message?.StartsWith("strict decoding error", StringComparison.Ordinal) == true)
                {
                    context.Response.Headers.Append("Warning", $"299 - \"{e.Status.Message["strict decoding error: ".Length..].Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
                    return Decode(definition, body, strict: false);
                }

            case "" or "Ignore":
                return Decode(definition, body, strict: false);
            default:
                throw ApiErrors.BadRequest($"fieldValidation parameter unsupported: {fieldValidation}");
        }
    }

    /// <summary>
    /// A custom resource is decoded as apiextensions-apiserver's decoder does: defaulted and pruned by its schema, the
    /// pruned fields reported under <c>fieldValidation</c> (Strict: 400; Warn, the default: a warning each; Ignore: none).
    /// </summary>
    private static CustomResource DecodeCustomResource(ResourceDefinition definition, CustomResourceStrategy strategy, JsonNode body, HttpContext context, string fieldValidation)
    {
        if (fieldValidation is not ("" or "Ignore" or "Warn" or "Strict"))
        {
            throw ApiErrors.BadRequest($"fieldValidation parameter unsupported: {fieldValidation}");
        }

        var resource = (CustomResource)Decode(definition, body, strict: fieldValidation == "Strict");
        IReadOnlyList<string> unknown = strategy.DefaultAndPrune(resource);
        if (unknown.Count > 0 && fieldValidation == "Strict")
        {
            throw ApiErrors.BadRequest("strict decoding error: " + string.Join(", ", unknown.Select(f => $"unknown field \"{f}\"")));
        }

        if (fieldValidation is "" or "Warn")
        {
            var warnings = new WarningRecorder(context.Response);
            foreach (string field in unknown)
            {
                warnings.Add($"unknown field \"{field}\"");
            }
        }

        return resource;
    }

    private static IKubernetesObject<V1ObjectMeta> Decode(ResourceDefinition definition, JsonNode body, bool strict)
    {
        if (body is not JsonObject o)
        {
            throw ApiErrors.BadRequest("the request body must be a JSON object");
        }

        string? kind = o["kind"] is JsonValue k && k.TryGetValue(out string? ks) ? ks : null;
        string? apiVersion = o["apiVersion"] is JsonValue a && a.TryGetValue(out string? av) ? av : null;
        if ((kind is not null && kind != definition.Kind) || (apiVersion is not null && apiVersion != definition.ApiVersion))
        {
            throw ApiErrors.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({definition.ApiVersion})" +
                (kind is not null && kind != definition.Kind ? $", or the kind ({kind}) does not match the expected kind ({definition.Kind})" : ""));
        }

        return ObjectCodec.FromNode(definition, o, strict);
    }
}
