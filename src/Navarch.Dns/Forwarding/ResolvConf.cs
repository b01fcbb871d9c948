using System.Net;

namespace Navarch.Dns;

/// <summary>Reads the nameservers of a resolv.conf file and parses <c>IP[:port]</c> upstream lists.</summary>
public static class ResolvConf
{
    /// <summary>The <c>nameserver</c> lines of <paramref name="path"/> on port 53 (none when the file is missing).</summary>
    public static IReadOnlyList<IPEndPoint> Nameservers(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        var result = new List<IPEndPoint>();
        foreach (string line in File.ReadLines(path))
        {
            string[] fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            // A scoped IPv6 address (fe80::1%eth0) keeps its scope, which IPAddress.TryParse understands.
            if (fields.Length >= 2 && fields[0] == "nameserver" && IPAddress.TryParse(fields[1], out IPAddress? address))
            {
                result.Add(new IPEndPoint(address, 53));
            }
        }

        return result;
    }

    /// <summary>
    /// Parses <c>IP</c>, <c>IP:port</c>, <c>[IPv6]:port</c> or the path of a resolv.conf file (anything with a slash).
    /// </summary>
    public static IReadOnlyList<IPEndPoint> Parse(string value, int defaultPort = 53)
    {
        ArgumentNullException.ThrowIfNull(value);
        var result = new List<IPEndPoint>();
        foreach (string item in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (item.Contains('/', StringComparison.Ordinal))
            {
                result.AddRange(Nameservers(item));
            }
            else
            {
                result.Add(Endpoint(item, defaultPort));
            }
        }

        return result;
    }

    /// <summary>Parses <c>IP</c>, <c>IP:port</c> or <c>[IPv6]:port</c>.</summary>
    public static IPEndPoint Endpoint(string value, int defaultPort)
    {
        ArgumentNullException.ThrowIfNull(value);
        // IPEndPoint reads "a.b.c.d", "a.b.c.d:port", "[v6]:port" and a bare IPv6 address (port 0 when none is given);
        // IPAddress.TryParse alone would accept "[::1]:5300" and drop the port.
        if (IPEndPoint.TryParse(value, out IPEndPoint? endpoint))
        {
            return endpoint.Port == 0 ? new IPEndPoint(endpoint.Address, defaultPort) : endpoint;
        }

        throw new FormatException($"not an address or address:port: {value}");
    }
}
