using Grpc.Core;
using Navarch.Kubelet.Csi.V1;

namespace Navarch.Kubelet.Tests.Csi;

/// <summary>The test driver's Controller service: a volume is a folder named after the request's name.</summary>
internal sealed class TestCsiController(TestCsiDriver.DriverHolder holder) : Controller.ControllerBase
{
    public override Task<ControllerGetCapabilitiesResponse> ControllerGetCapabilities(ControllerGetCapabilitiesRequest request, ServerCallContext context)
    {
        var response = new ControllerGetCapabilitiesResponse();
        response.Capabilities.Add(Rpc(ControllerServiceCapability.Types.RPC.Types.Type.CreateDeleteVolume));
        if (holder.Driver.Attach)
        {
            response.Capabilities.Add(Rpc(ControllerServiceCapability.Types.RPC.Types.Type.PublishUnpublishVolume));
        }

        if (holder.Driver.ControllerExpand)
        {
            response.Capabilities.Add(Rpc(ControllerServiceCapability.Types.RPC.Types.Type.ExpandVolume));
        }

        return Task.FromResult(response);
    }

    public override Task<ControllerExpandVolumeResponse> ControllerExpandVolume(ControllerExpandVolumeRequest request, ServerCallContext context)
    {
        TestCsiDriver driver = holder.Driver;
        driver.LastControllerExpand = request;
        driver.Calls.Enqueue($"ControllerExpandVolume {request.VolumeId} {request.CapacityRange?.RequiredBytes}");
        return Task.FromResult(new ControllerExpandVolumeResponse { CapacityBytes = request.CapacityRange?.RequiredBytes ?? 0, NodeExpansionRequired = driver.NodeExpand && driver.NodeExpansionRequired });
    }

    public override Task<CreateVolumeResponse> CreateVolume(CreateVolumeRequest request, ServerCallContext context)
    {
        TestCsiDriver driver = holder.Driver;
        driver.LastCreate = request;
        driver.Calls.Enqueue($"CreateVolume {request.Name} {request.CapacityRange?.RequiredBytes}");
        Directory.CreateDirectory(Path.Combine(driver.VolumesDir, request.Name));
        var volume = new Volume { VolumeId = request.Name, CapacityBytes = request.CapacityRange?.RequiredBytes ?? 0 };
        volume.VolumeContext.Add(request.Parameters);
        return Task.FromResult(new CreateVolumeResponse { Volume = volume });
    }

    public override Task<DeleteVolumeResponse> DeleteVolume(DeleteVolumeRequest request, ServerCallContext context)
    {
        TestCsiDriver driver = holder.Driver;
        driver.LastDelete = request;
        driver.Calls.Enqueue($"DeleteVolume {request.VolumeId}");
        string dir = Path.Combine(driver.VolumesDir, request.VolumeId);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        return Task.FromResult(new DeleteVolumeResponse());
    }

    public override Task<ControllerPublishVolumeResponse> ControllerPublishVolume(ControllerPublishVolumeRequest request, ServerCallContext context)
    {
        holder.Driver.LastControllerPublish = request;
        holder.Driver.Calls.Enqueue($"ControllerPublishVolume {request.VolumeId} {request.NodeId}");
        if (!Directory.Exists(Path.Combine(holder.Driver.VolumesDir, request.VolumeId)))
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, $"volume {request.VolumeId} does not exist"));
        }

        var response = new ControllerPublishVolumeResponse();
        response.PublishContext.Add("attached-to", request.NodeId);
        return Task.FromResult(response);
    }

    public override Task<ControllerUnpublishVolumeResponse> ControllerUnpublishVolume(ControllerUnpublishVolumeRequest request, ServerCallContext context)
    {
        holder.Driver.Calls.Enqueue($"ControllerUnpublishVolume {request.VolumeId} {request.NodeId}");
        return Task.FromResult(new ControllerUnpublishVolumeResponse());
    }

    private static ControllerServiceCapability Rpc(ControllerServiceCapability.Types.RPC.Types.Type type) =>
        new() { Rpc = new ControllerServiceCapability.Types.RPC { Type = type } };
}
