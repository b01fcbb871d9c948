using Grpc.Core;
using Navarch.Kubelet.Csi.V1;
using Navarch.Kubelet.Volumes;

namespace Navarch.Kubelet.Tests.Csi;

/// <summary>The test driver's Node service: stage bind-mounts the volume's folder at the staging path, publish bind-mounts that (or the folder) at the target.</summary>
internal sealed class TestCsiNode(TestCsiDriver.DriverHolder holder) : Navarch.Kubelet.Csi.V1.Node.NodeBase
{
    public override Task<NodeGetInfoResponse> NodeGetInfo(NodeGetInfoRequest request, ServerCallContext context)
    {
        TestCsiDriver driver = holder.Driver;
        var response = new NodeGetInfoResponse { NodeId = driver.NodeId, MaxVolumesPerNode = driver.MaxVolumesPerNode };
        if (driver.Topology.Count > 0)
        {
            response.AccessibleTopology = new Topology();
            response.AccessibleTopology.Segments.Add(new Dictionary<string, string>(driver.Topology));
        }

        return Task.FromResult(response);
    }

    public override Task<NodeGetCapabilitiesResponse> NodeGetCapabilities(NodeGetCapabilitiesRequest request, ServerCallContext context)
    {
        var response = new NodeGetCapabilitiesResponse();
        if (holder.Driver.Stage)
        {
            response.Capabilities.Add(new NodeServiceCapability { Rpc = new NodeServiceCapability.Types.RPC { Type = NodeServiceCapability.Types.RPC.Types.Type.StageUnstageVolume } });
        }

        if (holder.Driver.NodeExpand)
        {
            response.Capabilities.Add(new NodeServiceCapability { Rpc = new NodeServiceCapability.Types.RPC { Type = NodeServiceCapability.Types.RPC.Types.Type.ExpandVolume } });
        }

        return Task.FromResult(response);
    }

    public override Task<NodeExpandVolumeResponse> NodeExpandVolume(NodeExpandVolumeRequest request, ServerCallContext context)
    {
        TestCsiDriver driver = holder.Driver;
        driver.LastNodeExpand = request;
        driver.Calls.Enqueue($"NodeExpandVolume {request.VolumeId} {request.VolumePath} {request.CapacityRange?.RequiredBytes}");
        return Task.FromResult(new NodeExpandVolumeResponse { CapacityBytes = request.CapacityRange?.RequiredBytes ?? 0 });
    }

    public override Task<NodeStageVolumeResponse> NodeStageVolume(NodeStageVolumeRequest request, ServerCallContext context)
    {
        TestCsiDriver driver = holder.Driver;
        driver.LastStage = request;
        driver.Calls.Enqueue($"NodeStageVolume {request.VolumeId} {request.StagingTargetPath}");
        MountTable.EnsureBind(Source(driver, request.VolumeId), request.StagingTargetPath);
        return Task.FromResult(new NodeStageVolumeResponse());
    }

    public override Task<NodeUnstageVolumeResponse> NodeUnstageVolume(NodeUnstageVolumeRequest request, ServerCallContext context)
    {
        holder.Driver.Calls.Enqueue($"NodeUnstageVolume {request.VolumeId} {request.StagingTargetPath}");
        Unmount(request.StagingTargetPath);
        return Task.FromResult(new NodeUnstageVolumeResponse());
    }

    public override Task<NodePublishVolumeResponse> NodePublishVolume(NodePublishVolumeRequest request, ServerCallContext context)
    {
        TestCsiDriver driver = holder.Driver;
        driver.LastPublish = request;
        driver.Calls.Enqueue($"NodePublishVolume {request.VolumeId} {request.TargetPath}");
        if (driver.PublishError is { } error)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Internal, error));
        }

        string source = string.IsNullOrEmpty(request.StagingTargetPath) ? Source(driver, request.VolumeId) : request.StagingTargetPath;
        MountTable.EnsureBind(source, request.TargetPath);
        return Task.FromResult(new NodePublishVolumeResponse());
    }

    public override Task<NodeUnpublishVolumeResponse> NodeUnpublishVolume(NodeUnpublishVolumeRequest request, ServerCallContext context)
    {
        holder.Driver.Calls.Enqueue($"NodeUnpublishVolume {request.VolumeId} {request.TargetPath}");
        Unmount(request.TargetPath);
        if (Directory.Exists(request.TargetPath))
        {
            Directory.Delete(request.TargetPath);
        }

        return Task.FromResult(new NodeUnpublishVolumeResponse());
    }

    private static string Source(TestCsiDriver driver, string volumeId)
    {
        string dir = Path.Combine(driver.VolumesDir, volumeId);
        return Directory.Exists(dir) ? dir : throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, $"volume {volumeId} does not exist"));
    }

    private static void Unmount(string path)
    {
        while (MountTable.IsMountPoint(path))
        {
            MountTable.Unmount(path);
        }
    }
}
