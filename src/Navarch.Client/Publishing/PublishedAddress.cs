using System.Net;

namespace Navarch.Client.Publishing;

/// <summary>An endpoint address of a published Service, and the Node it is on (null when it is on none).</summary>
/// <param name="Address">The address.</param>
/// <param name="NodeName">The Node the address is on, or null.</param>
public sealed record PublishedAddress(IPAddress Address, string? NodeName)
{
    /// <summary>The address alone, as log lines list it.</summary>
    public override string ToString() => Address.ToString();
}
