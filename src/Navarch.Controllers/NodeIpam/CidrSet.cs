using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Navarch.Controllers.NodeIpam;

/// <summary>
/// The IPv4 subnets of one prefix length inside a cluster CIDR, as Kubernetes' cidrset: allocation starts after the
/// last subnet handed out (wrapping), so a released subnet is reused only once the others were tried.
/// </summary>
public sealed class CidrSet
{
    private readonly Lock _lock = new();
    private readonly uint _base;
    private readonly int _maskSize;
    private readonly bool[] _used;
    private int _next;

    /// <summary>Carves <paramref name="clusterCidr"/> (e.g. 10.42.0.0/16) into subnets of prefix length <paramref name="maskSize"/>.</summary>
    public CidrSet(string clusterCidr, int maskSize)
    {
        (uint address, int prefix) = Parse(clusterCidr) ?? throw new ArgumentException($"{clusterCidr} is not an IPv4 CIDR", nameof(clusterCidr));
        if (maskSize < prefix || maskSize > 32 || maskSize - prefix > 20)
        {
            throw new ArgumentOutOfRangeException(nameof(maskSize), $"a /{maskSize} subnet does not fit {clusterCidr} (at most 20 bits apart)");
        }

        _base = (uint)(address & ~((1L << (32 - prefix)) - 1));
        _maskSize = maskSize;
        _used = new bool[1 << (maskSize - prefix)];
    }

    /// <summary>How many subnets the range holds.</summary>
    public int Capacity => _used.Length;

    /// <summary>Takes the next free subnet, or returns null when every one is taken.</summary>
    public string? Allocate()
    {
        lock (_lock)
        {
            for (int i = 0; i < _used.Length; i++)
            {
                int candidate = (_next + i) % _used.Length;
                if (!_used[candidate])
                {
                    _used[candidate] = true;
                    _next = (candidate + 1) % _used.Length;
                    return Format(candidate);
                }
            }

            return null;
        }
    }

    /// <summary>Marks <paramref name="cidr"/> as taken (a node already has it); false when it is not one of this set's subnets.</summary>
    public bool Occupy(string cidr) => Mark(cidr, true);

    /// <summary>Frees <paramref name="cidr"/>; false when it is not one of this set's subnets.</summary>
    public bool Release(string cidr) => Mark(cidr, false);

    private bool Mark(string cidr, bool used)
    {
        if (IndexOf(cidr) is not { } index)
        {
            return false;
        }

        lock (_lock)
        {
            _used[index] = used;
        }

        return true;
    }

    private int? IndexOf(string cidr)
    {
        if (Parse(cidr) is not var (address, prefix) || prefix != _maskSize)
        {
            return null;
        }

        long delta = (long)address - _base;
        long size = 1L << (32 - _maskSize);
        return delta >= 0 && delta % size == 0 && delta / size < _used.Length ? (int)(delta / size) : null;
    }

    private string Format(int index)
    {
        uint address = (uint)(_base + (index * (1L << (32 - _maskSize))));
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, address);
        return $"{new IPAddress(bytes)}/{_maskSize.ToString(CultureInfo.InvariantCulture)}";
    }

    private static (uint Address, int Prefix)? Parse(string cidr)
    {
        string[] parts = cidr.Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out IPAddress? ip) || ip.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int prefix) || prefix > 32)
        {
            return null;
        }

        return (BinaryPrimitives.ReadUInt32BigEndian(ip.GetAddressBytes()), prefix);
    }
}
