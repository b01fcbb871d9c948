namespace Navarch.Proxy.NetworkPolicy.Rules;

/// <summary>A destination pod's address and the number a named port resolved to on it.</summary>
/// <param name="Ip">The destination pod's IPv4 address.</param>
/// <param name="Port">The port number.</param>
internal readonly record struct DestinationPort(uint Ip, int Port);
