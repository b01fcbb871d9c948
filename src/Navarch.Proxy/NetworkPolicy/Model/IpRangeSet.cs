namespace Navarch.Proxy.NetworkPolicy.Model;

/// <summary>
/// Set arithmetic on IPv4 ranges: an ipBlock is its cidr minus its excepts, and a rule's peers are the union of their
/// addresses, kept sorted and disjoint (an nftables interval set refuses overlapping elements).
/// </summary>
internal static class IpRangeSet
{
    /// <summary>The sorted, disjoint union of <paramref name="ranges"/>; adjacent ranges are joined.</summary>
    public static List<IpRange> Union(IEnumerable<IpRange> ranges)
    {
        var merged = new List<IpRange>();
        foreach (IpRange r in ranges.OrderBy(r => r.First))
        {
            if (merged.Count > 0 && (ulong)r.First <= (ulong)merged[^1].Last + 1)
            {
                IpRange last = merged[^1];
                merged[^1] = new IpRange(last.First, Math.Max(last.Last, r.Last));
            }
            else
            {
                merged.Add(r);
            }
        }

        return merged;
    }

    /// <summary><paramref name="from"/> without the addresses of <paramref name="remove"/>.</summary>
    public static List<IpRange> Subtract(IpRange from, IEnumerable<IpRange> remove)
    {
        var left = new List<IpRange>();
        ulong next = from.First;
        foreach (IpRange r in Union(remove))
        {
            if (r.Last < next || r.First > from.Last)
            {
                continue;
            }

            if (r.First > next)
            {
                left.Add(new IpRange((uint)next, r.First - 1));
            }

            next = (ulong)r.Last + 1;
        }

        if (next <= from.Last)
        {
            left.Add(new IpRange((uint)next, from.Last));
        }

        return left;
    }
}
