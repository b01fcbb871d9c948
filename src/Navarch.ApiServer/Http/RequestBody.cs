using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.Api.Serialization;

namespace Navarch.ApiServer.Http;

/// <summary>
/// Reads a request body (JSON, YAML or Kubernetes' protobuf, at most 3 MiB however it is sent) into a JSON tree, with
/// Kubernetes' errors; each encoding has its depth and size bounds (<see cref="JsonBody"/>, <see cref="YamlBody"/>,
/// <see cref="KubernetesProtobuf"/>).
/// </summary>
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
            return body.Deserialize<T>(KubernetesSerialization.Incoming) ?? new T();
        }
        catch (Exception e) when (e is JsonException or FormatException)
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
        bool yaml = contentType is "application/yaml" or "application/x-yaml" or "text/yaml" || (allowPatchTypes && contentType == "application/apply-patch+yaml");
        bool protobuf = contentType == "application/vnd.kubernetes.protobuf" && !allowPatchTypes;
        bool json = contentType is "application/json" or "" || (allowPatchTypes && contentType is "application/json-patch+json" or "application/merge-patch+json" or "application/strategic-merge-patch+json");
        if (!yaml && !json && !protobuf)
        {
            throw ApiErrors.UnsupportedMediaType(contentType);
        }

        (byte[] buffer, int length) = await ReadBytesAsync(context);
        if (length == 0)
        {
            throw ApiErrors.BadRequest("the request body is empty");
        }

        try
        {
            if (protobuf)
            {
                return DecodeProtobuf(buffer.AsSpan(0, length));
            }

            return yaml ? YamlBody.Parse(Encoding.UTF8.GetString(buffer, 0, length)) : JsonBody.Parse(buffer, length);
        }
        catch (DecoderFallbackException e)
        {
            throw ApiErrors.BadRequest($"the request body is not valid UTF-8: {e.Message}");
        }
    }

    /// <summary>A protobuf body (any built-in kind) as its JSON; a body that is not one is a 400, as apiserver's decoder answers.</summary>
    private static JsonNode DecodeProtobuf(ReadOnlySpan<byte> body)
    {
        try
        {
            return KubernetesProtobuf.Decode(body, goZeros: true);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or JsonException)
        {
            throw ApiErrors.BadRequest($"the body of the request was in an unknown format: {e.Message}");
        }
    }

    /// <summary>
    /// The body's bytes, at most <see cref="MaxBytes"/> however it is sent (413 for a Content-Length or a chunked body
    /// past it), after reserving their size from the server's <see cref="BodyLease"/> when there is one.
    /// </summary>
    private static async Task<(byte[] Buffer, int Length)> ReadBytesAsync(HttpContext context)
    {
        long? declared = context.Request.ContentLength;
        if (declared > MaxBytes)
        {
            throw ApiErrors.TooLarge();
        }

        int reserved = (int)(declared ?? MaxBytes);
        BodyLease? lease = context.Features.Get<BodyLease>();
        if (lease is not null)
        {
            try
            {
                await lease.AcquireAsync(reserved, context.RequestAborted);
            }
            catch (StatusException e) when (e.Status.Code == StatusCodes.Status429TooManyRequests)
            {
                // Read the unread body away (into one small buffer, so it costs no memory) before answering: a client
                // still sending it would otherwise see the connection closed instead of the 429 it can retry on.
                await DiscardAsync(context);
                context.Response.Headers.RetryAfter = "1";
                throw;
            }
        }

        // One buffer of the declared size (or grown as a chunked body arrives), so a body is held once.
        byte[] buffer = new byte[declared is { } size ? (int)size : Math.Min(MaxBytes, 64 * 1024)];
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length >= MaxBytes)
                    {
                        // One more byte tells a body at the limit from one past it.
                        byte[] probe = new byte[1];
                        if (await context.Request.Body.ReadAsync(probe, context.RequestAborted) > 0)
                        {
                            throw ApiErrors.TooLarge();
                        }

                        break;
                    }

                    Array.Resize(ref buffer, (int)Math.Min(MaxBytes, (long)buffer.Length * 2));
                }

                int read = await context.Request.Body.ReadAsync(buffer.AsMemory(length), context.RequestAborted);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own limits and framing errors (a chunked body past its limit, a malformed chunk).
            throw e.StatusCode == StatusCodes.Status413PayloadTooLarge ? ApiErrors.TooLarge() : ApiErrors.BadRequest($"the request body could not be read: {e.Message}");
        }

        if (lease is not null && reserved > length)
        {
            lease.Shrink(reserved - length);
        }

        return (buffer, length);
    }

    /// <summary>Reads and drops the rest of a body, at most <see cref="MaxBytes"/> and one byte more; Kestrel closes the connection past that.</summary>
    internal static async Task DiscardAsync(HttpContext context)
    {
        byte[] scratch = new byte[16 * 1024];
        long total = 0;
        try
        {
            int read;
            while (total <= MaxBytes && (read = await context.Request.Body.ReadAsync(scratch, context.RequestAborted)) > 0)
            {
                total += read;
            }
        }
        catch (BadHttpRequestException)
        {
            // A body that breaks Kestrel's framing or limits ends the connection anyway; the answer stands.
        }
    }
}
