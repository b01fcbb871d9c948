namespace Navarch.E2E.Tests;

/// <summary>The network-namespace cluster with three servers on an embedded etcd (issue 21) and two agents.</summary>
public sealed class NetnsHaCluster : NetnsCluster
{
    public NetnsHaCluster()
        : base(servers: 3)
    {
    }
}
