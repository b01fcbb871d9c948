using Grpc.Core;
using Navarch.Kubelet.PluginRegistration.V1;

namespace Navarch.Kubelet.Tests.Csi;

/// <summary>What node-driver-registrar serves the kubelet on the plugins_registry socket.</summary>
internal sealed class TestCsiRegistration(TestCsiDriver.DriverHolder holder) : Registration.RegistrationBase
{
    public override Task<PluginInfo> GetInfo(InfoRequest request, ServerCallContext context)
    {
        TestCsiDriver driver = holder.Driver;
        var info = new PluginInfo { Type = "CSIPlugin", Name = driver.Name, Endpoint = driver.Endpoint };
        info.SupportedVersions.Add(driver.Versions);
        return Task.FromResult(info);
    }

    public override Task<RegistrationStatusResponse> NotifyRegistrationStatus(RegistrationStatus request, ServerCallContext context)
    {
        holder.Driver.Status = request;
        return Task.FromResult(new RegistrationStatusResponse());
    }
}
