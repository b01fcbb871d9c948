namespace Navarch.Kubelet.Node;

/// <summary>Host readings computed once per process (the node's InternalIP does not change under a running kubelet).</summary>
public static class HostInfoAccess
{
    private static readonly Lazy<string> Ip = new(HostInfo.InternalIp);

    /// <summary>The first IPv4 address of an interface that is up and not loopback (loopback when there is none).</summary>
    public static string InternalIp => Ip.Value;
}
