using System.Net;

namespace Navarch.Server.Etcd;

/// <summary>How this server's embedded etcd member is made (<c>navarch server --cluster-init</c>, or <c>--server</c> to join).</summary>
internal sealed record EmbeddedEtcdOptions
{
    /// <summary>The server's data dir.</summary>
    public required string DataDir { get; init; }

    /// <summary>This machine's node name: the member is named <c>&lt;node-name&gt;-&lt;8 hex&gt;</c>.</summary>
    public required string NodeName { get; init; }

    /// <summary>The server's <c>--bind-address</c>: etcd listens there (and on loopback when it is 0.0.0.0).</summary>
    public required IPAddress BindAddress { get; init; }

    /// <summary>The address other members reach this one at (the bind address, or the node IP when bound to all).</summary>
    public required IPAddress AdvertiseAddress { get; init; }

    /// <summary><c>--server</c>: the server to join (its embedded etcd), or null to start a new cluster.</summary>
    public string? JoinServer { get; init; }

    /// <summary>The server token (<c>K10&lt;hash&gt;::server:&lt;secret&gt;</c>) a joining server presents.</summary>
    public string? Token { get; init; }

    /// <summary>The Service CIDR (its first address is in the API server's certificate, issued here first).</summary>
    public required string ServiceCidr { get; init; }

    /// <summary>etcd's client port (2379).</summary>
    public int ClientPort { get; init; } = 2379;

    /// <summary>etcd's peer port (2380).</summary>
    public int PeerPort { get; init; } = 2380;

    /// <summary>Bound to every address (0.0.0.0): etcd is advertised at the node's address and listens on loopback too.</summary>
    public bool BindsAll => BindAddress.Equals(IPAddress.Any) || BindAddress.Equals(IPAddress.IPv6Any);

    /// <summary>The host part of this member's URLs: the bind address, or the advertise address when bound to all.</summary>
    public string Host => (BindsAll ? AdvertiseAddress : BindAddress) is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } v6 ? $"[{v6}]" : (BindsAll ? AdvertiseAddress : BindAddress).ToString();

    /// <summary>The client URL a new member advertises.</summary>
    public string ClientUrl => $"https://{Host}:{ClientPort}";

    /// <summary>The peer URL a new member advertises.</summary>
    public string PeerUrl => $"https://{Host}:{PeerPort}";

    /// <summary>
    /// <c>--cluster-reset</c> without a snapshot: the member starts once with etcd's <c>--force-new-cluster</c>, the sole
    /// member of a cluster that keeps its data (the way back from a lost quorum).
    /// </summary>
    public bool ForceNewCluster { get; init; }

    /// <summary>The etcd executable.</summary>
    public string Binary { get; init; } = EtcdSupervisor.DefaultBinary;

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
