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

    /// <summary>The first IPv4 address of an interface that is up and not loopback (loopback when there is none).</summary>
    public static string InternalIp()
    {
        foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback)
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
