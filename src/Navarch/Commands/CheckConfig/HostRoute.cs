using System.Globalization;
using System.Net;

namespace Navarch.Commands.CheckConfig;

/// <summary>An IPv4 route of this host, as <c>/proc/net/route</c> lists it.</summary>
internal sealed record HostRoute(string Interface, IPNetwork Destination, bool HasGateway)
{
    /// <summary>
    /// The routes of <c>/proc/net/route</c> text (a header line, then tab-separated fields: interface, destination,
    /// gateway, flags, refcnt, use, metric, mask, ...; addresses as the kernel's 32-bit words in hex, little-endian).
    /// </summary>
    public static IReadOnlyList<HostRoute> Parse(string procNetRoute)
    {
        var routes = new List<HostRoute>();
        foreach (string line in procNetRoute.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            string[] fields = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 8
                || !uint.TryParse(fields[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint destination)
                || !uint.TryParse(fields[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint gateway)
                || !uint.TryParse(fields[7], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint mask))
            {
                continue;
            }

            int prefix = System.Numerics.BitOperations.PopCount(mask);
            routes.Add(new HostRoute(fields[0], new IPNetwork(Address(destination), prefix), gateway != 0));
        }

        return routes;
    }

    /// <summary>Whether this route's destination and <paramref name="network"/> share an address (the default route excepted).</summary>
    public bool Overlaps(IPNetwork network) =>
        Destination.PrefixLength > 0 && (Destination.Contains(network.BaseAddress) || network.Contains(Destination.BaseAddress));

    // The kernel prints the address's four bytes, in network order in memory, as a host-order (little-endian) word.
    private static IPAddress Address(uint word) => new([(byte)word, (byte)(word >> 8), (byte)(word >> 16), (byte)(word >> 24)]);
}
