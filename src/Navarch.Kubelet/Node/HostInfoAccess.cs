namespace Navarch.Kubelet.Node;

/// <summary>Host readings computed once per process (the node's InternalIP does not change under a running kubelet).</summary>
internal static class HostInfoAccess
{
    private static readonly Lazy<string> Ip = new(HostInfo.InternalIp);

    public static string InternalIp => Ip.Value;
}
