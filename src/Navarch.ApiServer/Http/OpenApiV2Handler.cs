using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Navarch.ApiServer.OpenApi;

namespace Navarch.ApiServer.Http;

/// <summary>
/// GET /openapi/v2 as kube-openapi's handler serves it: JSON, or gnostic's protobuf Document
/// (<see cref="OpenApiV2Protobuf"/>) for its media type, whichever the Accept header prefers (q first, then the more
/// specific type); none of them is 406. The ETag is the SHA-512 of the JSON for both forms (Vary: Accept tells caches
/// apart); Last-Modified is when the document last changed. As Go's http.ServeContent answers, an If-None-Match that
/// has the ETag is a 304, and without If-None-Match so is an If-Modified-Since no older than Last-Modified. Wrapped in
/// gziphandler, the body is gzipped for a client that accepts gzip once it is 1400 bytes or more (Vary:
/// Accept-Encoding on every answer). The protobuf and the gzipped forms are made once per document.
/// </summary>
internal sealed class OpenApiV2Handler(TimeProvider time)
{
    /// <summary>gziphandler's DefaultMinSize: smaller bodies go out as they are.</summary>
    internal const int GzipMinSize = 1400;

    private Served? _served;

    private sealed record Served(byte[] Json, string ETag, DateTimeOffset LastModified, Lazy<byte[]> Protobuf, Lazy<byte[]> GzippedJson, Lazy<byte[]> GzippedProtobuf);

    /// <summary>Answers with <paramref name="json"/>, the current Swagger 2.0 document (the same array while it is unchanged).</summary>
    public async Task ServeAsync(HttpContext context, byte[] json)
    {
        Served? served = Volatile.Read(ref _served);
        if (served is null || !ReferenceEquals(served.Json, json))
        {
            var protobuf = new Lazy<byte[]>(() => OpenApiV2Protobuf.Convert(json));
            served = new Served(
                json,
                "\"" + Convert.ToHexString(SHA512.HashData(json)) + "\"",
                // kube-openapi's UpdateSpec stamps time.Now(); HTTP dates have whole seconds.
                TruncateToSeconds(time.GetUtcNow()),
                protobuf,
                new Lazy<byte[]>(() => Gzip(json)),
                new Lazy<byte[]>(() => Gzip(protobuf.Value)));
            Volatile.Write(ref _served, served);
        }

        context.Response.Headers.Append("Vary", "Accept-Encoding");
        context.Response.Headers.Append("Vary", "Accept");
        bool? asProtobuf = Negotiate(context.Request.Headers.Accept.ToString());
        if (asProtobuf is null)
        {
            context.Response.StatusCode = StatusCodes.Status406NotAcceptable;
            return;
        }

        context.Response.Headers.ETag = served.ETag;
        if (NotModified(context.Request, served))
        {
            // http.ServeContent's writeNotModified: no body headers, and no Last-Modified beside an ETag.
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        context.Response.ContentType = asProtobuf.Value ? OpenApiV2Protobuf.MediaType : "application/json";
        context.Response.Headers.LastModified = served.LastModified.ToString("R", CultureInfo.InvariantCulture);
        byte[] body = asProtobuf.Value ? served.Protobuf.Value : served.Json;
        if (body.Length >= GzipMinSize && AcceptsGzip(context.Request.Headers.AcceptEncoding.ToString()))
        {
            context.Response.Headers.ContentEncoding = "gzip";
            body = asProtobuf.Value ? served.GzippedProtobuf.Value : served.GzippedJson.Value;
        }

        context.Response.ContentLength = body.Length;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>
    /// http.ServeContent's checkIfNoneMatch, then (only without If-None-Match) checkIfModifiedSince: a weak or strong
    /// match of the ETag, or a date no older than Last-Modified.
    /// </summary>
    private static bool NotModified(HttpRequest request, Served served)
    {
        string ifNoneMatch = request.Headers.IfNoneMatch.ToString();
        if (ifNoneMatch.Length > 0)
        {
            return ifNoneMatch.Split(',').Any(tag => tag.Trim() is var t && (t == "*" || (t.StartsWith("W/", StringComparison.Ordinal) ? t[2..] : t) == served.ETag));
        }

        return (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            && request.GetTypedHeaders().IfModifiedSince is { } since
            && served.LastModified <= since;
    }

    /// <summary>gziphandler's acceptsGzip: <c>gzip</c> named in Accept-Encoding with a q above 0.</summary>
    internal static bool AcceptsGzip(string acceptEncoding)
    {
        foreach (string part in acceptEncoding.Split(','))
        {
            string[] pieces = part.Split(';');
            if (!pieces[0].Trim().Equals("gzip", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            double q = 1;
            foreach (string parameter in pieces.Skip(1))
            {
                string[] pair = parameter.Split('=', 2);
                if (pair.Length == 2 && pair[0].Trim() == "q" && !double.TryParse(pair[1].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out q))
                {
                    q = 0;
                }
            }

            return q > 0;
        }

        return false;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return buffer.ToArray();
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset t) => new(t.Ticks - (t.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    /// <summary>True for the protobuf, false for JSON, null when the client takes neither.</summary>
    internal static bool? Negotiate(string accept)
    {
        if (string.IsNullOrWhiteSpace(accept))
        {
            return false;
        }

        var clauses = new List<(string Type, double Q, int Order)>();
        foreach (string part in accept.Split(','))
        {
            string[] pieces = part.Split(';');
            string type = pieces[0].Trim().ToLowerInvariant();
            double q = 1;
            foreach (string parameter in pieces.Skip(1))
            {
                string[] pair = parameter.Split('=', 2);
                if (pair.Length == 2 && pair[0].Trim() == "q" && double.TryParse(pair[1].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                {
                    q = value;
                }
            }

            if (type.Length > 0 && q > 0)
            {
                clauses.Add((type, q, clauses.Count));
            }
        }

        // goautoneg's order: higher q first, then a concrete type before a wildcard one, then as written.
        foreach ((string type, _, _) in clauses.OrderByDescending(c => c.Q).ThenBy(c => c.Type.StartsWith("*/", StringComparison.Ordinal)).ThenBy(c => c.Type.EndsWith("/*", StringComparison.Ordinal)).ThenBy(c => c.Order))
        {
            if (type is "application/json" or "*/*" or "application/*")
            {
                return false;
            }

            if (type is OpenApiV2Protobuf.MediaType or OpenApiV2Protobuf.DeprecatedMediaType)
            {
                return true;
            }
        }

        return null;
    }
}
