namespace Navarch.ApiServer.Join;

/// <summary>The join endpoints' paths and header, shared by the server (<see cref="JoinEndpoints"/>) and the agent.</summary>
public static class JoinProtocol
{
    /// <summary>The CA bundle, unauthenticated (k3s's path).</summary>
    public const string CaCertsPath = "/cacerts";

    /// <summary>Signs the kubelet's client certificate request.</summary>
    public const string ClientKubeletPath = "/v1-navarch/client-kubelet";

    /// <summary>Signs the kubelet's serving certificate request.</summary>
    public const string ServingKubeletPath = "/v1-navarch/serving-kubelet";

    /// <summary>The header naming the joining node.</summary>
    public const string NodeNameHeader = "Navarch-Node-Name";
}
