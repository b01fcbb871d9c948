using System.Globalization;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Navarch.Kubelet.Node;

/// <summary>Readings of this machine a Node reports: resources, kernel, OS, addresses.</summary>
internal static class HostInfo
{
    public static int CpuCount => Environment.ProcessorCount;

    /// <summary>MemTotal from /proc/meminfo, in bytes.</summary>
    public static long MemoryBytes() => MemInfo("MemTotal");

    /// <summary>MemAvailable from /proc/meminfo, in bytes.</summary>
    public static long MemoryAvailableBytes() => MemInfo("MemAvailable");

    /// <summary>The size of the filesystem holding <paramref name="path"/>.</summary>
    public static long DiskBytes(string path) => new DriveInfo(Path.GetFullPath(path)).TotalSize;

    public static string KernelVersion() => ReadTrimmed("/proc/sys/kernel/osrelease", "unknown");

    public static string MachineId() => ReadTrimmed("/etc/machine-id", "");

    public static string BootId() => ReadTrimmed("/proc/sys/kernel/random/boot_id", "");

    /// <summary>PRETTY_NAME from /etc/os-release.</summary>
    public static string OsImage()
    {
        if (!File.Exists("/etc/os-release"))
        {
            return "Linux";
        }

        foreach (string line in File.ReadLines("/etc/os-release"))
        {
            if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
            {
                return line["PRETTY_NAME=".Length..].Trim('"');
            }
        }

        return "Linux";
    }

    /// <summary>
    /// The node's address when no <c>--node-ip</c> is given, chosen as the kubelet does: the IPv4 address of the
    /// interface the default route leaves by (so never the pod bridge's), else the first IPv4 address of an interface
    /// that is up and not loopback, else loopback.
    /// </summary>
    public static string InternalIp()
    {
        string? routed = DefaultRouteInterface();
        NetworkInterface[] nics = Client.Host.HostInterfaces.Read();
        foreach (NetworkInterface nic in nics.OrderBy(n => n.Name == routed ? 0 : 1))
        {
            if (nic.OperationalStatus is not (OperationalStatus.Up or OperationalStatus.Unknown) || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback)
            {
                continue;
            }

            foreach (UnicastIPAddressInformation a in nic.GetIPProperties().UnicastAddresses)
            {
                if (a.Address.AddressFamily == AddressFamily.InterNetwork)
                {
                    return a.Address.ToString();
                }
            }
        }

        return "127.0.0.1";
    }

    /// <summary>The interface of the IPv4 default route in this network namespace (/proc/net/route), if any.</summary>
    private static string? DefaultRouteInterface()
    {
        if (!File.Exists("/proc/net/route"))
        {
            return null;
        }

        // Columns: Iface Destination Gateway Flags RefCnt Use Metric Mask ...; the default route has destination and mask 0.
        return File.ReadLines("/proc/net/route").Skip(1)
            .Select(line => line.Split('\t', StringSplitOptions.TrimEntries))
            .Where(f => f.Length > 7 && f[1] == "00000000" && f[7] == "00000000")
            .OrderBy(f => int.TryParse(f[6], CultureInfo.InvariantCulture, out int metric) ? metric : int.MaxValue)
            .Select(f => f[0])
            .FirstOrDefault();
    }

    private static long MemInfo(string field)
    {
        foreach (string line in File.ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                string kb = line[(field.Length + 1)..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    private static string ReadTrimmed(string path, string fallback) => File.Exists(path) ? File.ReadAllText(path).Trim() : fallback;
}
