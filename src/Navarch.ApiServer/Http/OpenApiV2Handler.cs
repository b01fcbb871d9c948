using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Navarch.ApiServer.OpenApi;

namespace Navarch.ApiServer.Http;

/// <summary>
/// GET /openapi/v2 as kube-openapi's handler serves it: JSON, or gnostic's protobuf Document
/// (<see cref="OpenApiV2Protobuf"/>) for its media type, whichever the Accept header prefers (q first, then the more
/// specific type); none of them is 406. The ETag is the SHA-512 of the JSON for both forms (Vary: Accept tells caches
/// apart), and an If-None-Match that has it is answered 304. The protobuf is made once per document.
/// </summary>
internal sealed class OpenApiV2Handler
{
    private Served? _served;

    private sealed record Served(byte[] Json, string ETag, Lazy<byte[]> Protobuf);

    /// <summary>Answers with <paramref name="json"/>, the current Swagger 2.0 document (the same array while it is unchanged).</summary>
    public async Task ServeAsync(HttpContext context, byte[] json)
    {
        Served? served = Volatile.Read(ref _served);
        if (served is null || !ReferenceEquals(served.Json, json))
        {
            served = new Served(json, "\"" + Convert.ToHexString(SHA512.HashData(json)) + "\"", new Lazy<byte[]>(() => OpenApiV2Protobuf.Convert(json)));
            Volatile.Write(ref _served, served);
        }

        context.Response.Headers.Append("Vary", "Accept");
        bool? protobuf = Negotiate(context.Request.Headers.Accept.ToString());
        if (protobuf is null)
        {
            context.Response.StatusCode = StatusCodes.Status406NotAcceptable;
            return;
        }

        context.Response.ContentType = protobuf.Value ? OpenApiV2Protobuf.MediaType : "application/json";
        context.Response.Headers.ETag = served.ETag;
        if (context.Request.Headers.IfNoneMatch.ToString().Split(',').Any(tag => tag.Trim() is var t && (t == served.ETag || t == "*")))
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        await context.Response.Body.WriteAsync(protobuf.Value ? served.Protobuf.Value : served.Json, context.RequestAborted);
    }

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
