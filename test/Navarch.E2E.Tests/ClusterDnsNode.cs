namespace Navarch.E2E.Tests;

/// <summary>
/// A one-node cluster whose DNS runs where <c>navarch server</c> puts it by default — on the pod bridge, port 53, not
/// on the node's address — forwarding to an <see cref="UpstreamResolver"/> of its own.
/// </summary>
public sealed class ClusterDnsNode : NavarchNode
{
    private readonly UpstreamResolver _upstream;

    public ClusterDnsNode()
        : this(UpstreamResolver.Start())
    {
    }

    private ClusterDnsNode(UpstreamResolver upstream)
        : base(["--dns-upstream", upstream.Endpoint.ToString()], dnsOnPodBridge: true)
    {
        _upstream = upstream;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _upstream.Dispose();
    }
}
