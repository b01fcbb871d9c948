using System.Globalization;

namespace Navarch.Proxy.NetworkPolicy.Model;

/// <summary>An inclusive range of IPv4 addresses, as numbers (what an nftables interval set holds).</summary>
/// <param name="First">The first address.</param>
/// <param name="Last">The last address.</param>
internal readonly record struct IpRange(uint First, uint Last)
{
    /// <summary>One address.</summary>
    public static IpRange Single(uint address) => new(address, address);

    /// <summary>Parses <c>a.b.c.d/n</c> (or a bare address, /32); null for anything else, IPv6 included (the pod network is IPv4).</summary>
    public static IpRange? ParseCidr(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        int slash = text.IndexOf('/', StringComparison.Ordinal);
        int bits = 32;
        if (slash >= 0 && !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out bits))
        {
            return null;
        }

        if (bits is < 0 or > 32 || ParseAddress(slash >= 0 ? text[..slash] : text) is not { } address)
        {
            return null;
        }

        uint mask = bits == 0 ? 0u : uint.MaxValue << (32 - bits);
        return new IpRange(address & mask, (address & mask) | ~mask);
    }

    /// <summary>A dotted-quad IPv4 address as a number; null for anything else (as Go's net.ParseIP, no short forms).</summary>
    public static uint? ParseAddress(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        string[] parts = text.Split('.');
        if (parts.Length != 4)
        {
            return null;
        }

        uint address = 0;
        foreach (string part in parts)
        {
            if (part.Length is 0 or > 3 || !byte.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out byte octet))
            {
                return null;
            }

            address = (address << 8) | octet;
        }

        return address;
    }

    /// <summary>A number as dotted IPv4.</summary>
    public static string Format(uint address) =>
        $"{address >> 24}.{(address >> 16) & 255}.{(address >> 8) & 255}.{address & 255}";

    /// <summary>Whether <paramref name="address"/> is in the range.</summary>
    public bool Contains(uint address) => address >= First && address <= Last;

    /// <summary>The range as nftables writes an interval element: <c>a.b.c.d</c> or <c>a.b.c.d-e.f.g.h</c>.</summary>
    public override string ToString() => First == Last ? Format(First) : $"{Format(First)}-{Format(Last)}";
}
