using Grpc.Core;
using Navarch.Kubelet.Csi.V1;

namespace Navarch.Kubelet.Tests.Csi;

/// <summary>The test driver's Identity service.</summary>
internal sealed class TestCsiIdentity(TestCsiDriver.DriverHolder holder) : Identity.IdentityBase
{
    public override Task<GetPluginInfoResponse> GetPluginInfo(GetPluginInfoRequest request, ServerCallContext context) =>
        Task.FromResult(new GetPluginInfoResponse { Name = holder.Driver.Name, VendorVersion = "0.1.0" });

    public override Task<GetPluginCapabilitiesResponse> GetPluginCapabilities(GetPluginCapabilitiesRequest request, ServerCallContext context)
    {
        var response = new GetPluginCapabilitiesResponse();
        response.Capabilities.Add(new PluginCapability { Service = new PluginCapability.Types.Service { Type = PluginCapability.Types.Service.Types.Type.ControllerService } });
        return Task.FromResult(response);
    }

    public override Task<ProbeResponse> Probe(ProbeRequest request, ServerCallContext context) =>
        Task.FromResult(new ProbeResponse { Ready = true });
}
