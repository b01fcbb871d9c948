namespace Navarch.Kubelet.Node;

/// <summary>Host readings computed once per process (the node's InternalIP does not change under a running kubelet).</summary>
public static class HostInfoAccess
{
    private static readonly Lazy<string> Ip = new(HostInfo.InternalIp);

    /// <summary>The IPv4 address of the interface the default route leaves by (see <see cref="HostInfo.InternalIp"/>).</summary>
    public static string InternalIp => Ip.Value;
}
