using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using YamlDotNet.Serialization;

namespace Navarch.ApiServer.Http;

/// <summary>Reads a request body (JSON or YAML, at most 3 MiB) into a JSON tree, with Kubernetes' errors.</summary>
internal static class RequestBody
{
    public const int MaxBytes = 3 * 1024 * 1024;

    /// <summary>
    /// Reads the body as a <typeparamref name="T"/> (for the kinds served outside the registry, e.g. TokenRequest);
    /// a body that does not fit the type is a 400.
    /// </summary>
    public static async Task<T> ReadAsAsync<T>(HttpContext context)
        where T : new() =>
        Deserialize<T>(await ReadAsync(context, allowPatchTypes: false));

    /// <summary>A body already read, as a <typeparamref name="T"/>; a body that does not fit the type is a 400.</summary>
    public static T Deserialize<T>(JsonNode body)
        where T : new()
    {
        try
        {
            return body.Deserialize<T>(KubernetesSerialization.Options) ?? new T();
        }
        catch (JsonException e)
        {
            throw ApiErrors.BadRequest($"the body of the request was in an unknown format: {e.Message}");
        }
    }

    /// <summary>The body as a JSON tree (a patch when <paramref name="allowPatchTypes"/>), also given to the request's audit.</summary>
    public static async Task<JsonNode> ReadAsync(HttpContext context, bool allowPatchTypes)
    {
        JsonNode body = await DecodeAsync(context, allowPatchTypes);
        Audit.AuditContext.Of(context)?.LogRequestObject(body, isPatch: allowPatchTypes);
        return body;
    }

    private static async Task<JsonNode> DecodeAsync(HttpContext context, bool allowPatchTypes)
    {
        string contentType = (context.Request.ContentType ?? "application/json").Split(';')[0].Trim().ToLowerInvariant();
        bool yaml = contentType is "application/yaml" or "application/x-yaml" or "text/yaml";
        bool protobuf = contentType == "application/vnd.kubernetes.protobuf" && !allowPatchTypes;
        bool json = contentType is "application/json" or "" || (allowPatchTypes && contentType is "application/json-patch+json" or "application/merge-patch+json" or "application/strategic-merge-patch+json");
        if (!yaml && !json && !protobuf)
        {
            throw ApiErrors.UnsupportedMediaType(contentType);
        }

        if (context.Request.ContentLength > MaxBytes)
        {
            throw ApiErrors.TooLarge();
        }

        using var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                throw ApiErrors.TooLarge();
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            throw ApiErrors.BadRequest("the request body is empty");
        }

        try
        {
            if (protobuf)
            {
                return ProtobufBody.Decode(buffer.ToArray());
            }

            if (yaml)
            {
                object? parsed = new DeserializerBuilder().WithAttemptingUnquotedStringTypeDeserialization().Build().Deserialize(new StringReader(Encoding.UTF8.GetString(buffer.ToArray())));
                return JsonSerializer.SerializeToNode(parsed) ?? throw ApiErrors.BadRequest("the request body is empty");
            }

            return JsonNode.Parse(buffer.ToArray(), documentOptions: new JsonDocumentOptions { MaxDepth = 256 })
                ?? throw ApiErrors.BadRequest("the request body is null");
        }
        catch (JsonException e)
        {
            throw ApiErrors.BadRequest($"the request body is not valid JSON: {e.Message.Split(" Path:")[0]}");
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw ApiErrors.BadRequest($"the request body is not valid YAML: {e.Message}");
        }
        catch (DecoderFallbackException e)
        {
            throw ApiErrors.BadRequest($"the request body is not valid UTF-8: {e.Message}");
        }
    }
}
