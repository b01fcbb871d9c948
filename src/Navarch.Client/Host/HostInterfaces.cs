using System.Net.NetworkInformation;

namespace Navarch.Client.Host;

/// <summary>This host's network interfaces, read so that a pod's veth or namespace coming or going does not fail the read.</summary>
public static class HostInterfaces
{
    /// <summary>
    /// The interfaces of this process's network namespace. .NET reads them from netlink and throws
    /// <see cref="ArgumentException"/> when an interface comes or goes during the read, so a few reads are tried.
    /// </summary>
    public static NetworkInterface[] Read()
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return NetworkInterface.GetAllNetworkInterfaces();
            }
            catch (ArgumentException) when (attempt < 5)
            {
                Thread.Sleep(20 * attempt);
            }
        }
    }
}
