using System.Net;
using Microsoft.AspNetCore.Http;

namespace Navarch.ApiServer.Audit;

/// <summary>
/// Where a request came from, as k8s.io/apimachinery's utilnet.SourceIPs lists it: the <c>X-Forwarded-For</c>
/// addresses, then <c>X-Real-Ip</c> if not among them, then the connection's peer unless it is the last one listed.
/// All but the last may be set by the client at will.
/// </summary>
internal static class SourceIps
{
    public static IReadOnlyList<string> From(HttpContext context)
    {
        var ips = new List<string>();
        foreach (string? value in context.Request.Headers["X-Forwarded-For"])
        {
            foreach (string part in (value ?? "").Split(','))
            {
                if (IPAddress.TryParse(part.Trim(), out IPAddress? ip))
                {
                    ips.Add(Text(ip));
                }
            }
        }

        if (IPAddress.TryParse(context.Request.Headers["X-Real-Ip"].ToString().Trim(), out IPAddress? real) && !ips.Contains(Text(real)))
        {
            ips.Add(Text(real));
        }

        if (context.Connection.RemoteIpAddress is { } remote && (ips.Count == 0 || ips[^1] != Text(remote)))
        {
            ips.Add(Text(remote));
        }

        return ips;
    }

    private static string Text(IPAddress ip) => (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString();
}
