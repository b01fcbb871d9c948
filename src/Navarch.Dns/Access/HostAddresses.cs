using System.Net;
using System.Net.NetworkInformation;

namespace Navarch.Dns.Access;

/// <summary>The addresses of this host's interfaces (in this process's network namespace).</summary>
internal static class HostAddresses
{
    public static IEnumerable<IPAddress> Read() =>
        Client.Host.HostInterfaces.Read().SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address);

    /// <summary>The first IPv4 address of the interface <paramref name="name"/>, or null when it has none (or does not exist).</summary>
    public static IPAddress? IPv4Of(string name) =>
        Client.Host.HostInterfaces.Read()
            .Where(n => n.Name == name)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
}
