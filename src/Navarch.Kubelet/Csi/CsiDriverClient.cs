using Grpc.Net.Client;
using Navarch.Kubelet.Csi.V1;
using Navarch.Kubelet.Runtime;

namespace Navarch.Kubelet.Csi;

/// <summary>A registered CSI driver's socket with its Identity, Node and Controller services (kubelet's csiDriverClient).</summary>
internal sealed class CsiDriverClient : IDisposable
{
    private readonly GrpcChannel _channel;

    public CsiDriverClient(string name, string endpoint)
    {
        Name = name;
        Endpoint = endpoint;
        _channel = UnixSocketChannel.Create(endpoint);
        Identity = new V1.Identity.IdentityClient(_channel);
        Node = new V1.Node.NodeClient(_channel);
        Controller = new V1.Controller.ControllerClient(_channel);
    }

    /// <summary>The driver's name (its CSIDriver object's, and a CSI PV's spec.csi.driver).</summary>
    public string Name { get; }

    /// <summary>The socket the driver serves CSI on.</summary>
    public string Endpoint { get; }

    public V1.Identity.IdentityClient Identity { get; }

    public V1.Node.NodeClient Node { get; }

    public V1.Controller.ControllerClient Controller { get; }

    /// <summary>Whether the node service has <paramref name="capability"/> (asked each time, as the kubelet does).</summary>
    public async Task<bool> NodeSupportsAsync(NodeServiceCapability.Types.RPC.Types.Type capability, CancellationToken cancellationToken)
    {
        NodeGetCapabilitiesResponse response = await Node.NodeGetCapabilitiesAsync(new NodeGetCapabilitiesRequest(), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Capabilities.Any(c => c.Rpc?.Type == capability);
    }

    /// <summary>Whether the controller service has <paramref name="capability"/>.</summary>
    public async Task<bool> ControllerSupportsAsync(ControllerServiceCapability.Types.RPC.Types.Type capability, CancellationToken cancellationToken)
    {
        ControllerGetCapabilitiesResponse response = await Controller.ControllerGetCapabilitiesAsync(new ControllerGetCapabilitiesRequest(), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Capabilities.Any(c => c.Rpc?.Type == capability);
    }

    public void Dispose() => _channel.Dispose();
}
