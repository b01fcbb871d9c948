using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Navarch.ApiServer.Http;

/// <summary>
/// Whether a response goes out in Kubernetes' protobuf (apiserver's negotiation.NegotiateOutputMediaType): the Accept
/// header's media types in order of preference (q, then as written); the first the server can write for this object
/// wins — JSON for <c>application/json</c>, <c>*/*</c> and anything it does not know, protobuf for
/// <c>application/vnd.kubernetes.protobuf</c> when the kind has a message. A client asking only for protobuf for a
/// kind without one (a custom resource) gets 406, as kube-apiserver answers; client-go asks
/// "application/vnd.kubernetes.protobuf, application/json" and so falls back to JSON.
/// </summary>
internal static class ProtobufNegotiation
{
    /// <summary>What the client's Accept asks for this object.</summary>
    public enum Choice
    {
        Json,
        Protobuf,
        NotAcceptable,
    }

    public static Choice Negotiate(HttpContext context, bool hasMessage)
    {
        string accept = context.Request.Headers.Accept.ToString();
        if (!accept.Contains("protobuf", StringComparison.Ordinal) || accept.Contains("as=", StringComparison.Ordinal))
        {
            return Choice.Json;
        }

        if (!MediaTypeHeaderValue.TryParseList(accept.Split(','), out IList<MediaTypeHeaderValue>? types))
        {
            return Choice.Json;
        }

        bool sawOther = false;
        foreach (MediaTypeHeaderValue type in types.Select((t, i) => (t, i)).OrderByDescending(p => p.t.Quality ?? 1).ThenBy(p => p.i).Select(p => p.t))
        {
            string media = type.MediaType.ToString().ToLower(CultureInfo.InvariantCulture);
            if (media == "application/vnd.kubernetes.protobuf")
            {
                if (hasMessage)
                {
                    return Choice.Protobuf;
                }
            }
            else if (media is "application/json" or "application/*" or "*/*" or "application/yaml")
            {
                return Choice.Json;
            }
            else
            {
                sawOther = true;
            }
        }

        return sawOther ? Choice.Json : Choice.NotAcceptable;
    }
}
