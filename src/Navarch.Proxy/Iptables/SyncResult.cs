namespace Navarch.Proxy.Iptables;

/// <summary>What one sync did.</summary>
/// <param name="Applied">Whether iptables-restore ran.</param>
/// <param name="Generate">Time to compute and render the rules.</param>
/// <param name="Restore">Time iptables-restore took.</param>
/// <param name="Bytes">Size of the rules text.</param>
internal sealed record SyncResult(bool Applied, TimeSpan Generate, TimeSpan Restore, int Bytes);
