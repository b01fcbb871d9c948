using Grpc.Core;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Api.Quantities;
using Navarch.Client.Events;
using Navarch.Kubelet.Csi.V1;

namespace Navarch.Kubelet.Csi;

/// <summary>
/// The kubelet's NodeExpandVolume for CSI volumes in use on this node (operation_executor's NodeExpander and
/// csi_expander): a claim whose resize waits for the node (allocatedResourceStatuses <c>NodeResizePending</c> or
/// <c>NodeResizeInProgress</c>, or the FileSystemResizePending condition of a resizer that sets no status), bound to
/// a volume published here, is marked NodeResizeInProgress, and NodeExpandVolume is called with the pod's target path,
/// the staging path, the volume's new capacity and the PV's nodeExpandSecretRef (a driver without the node
/// EXPAND_VOLUME capability has nothing to grow on the node); then the claim's status.capacity is the volume's, the
/// resize status and conditions go, and FileSystemResizeSuccessful is recorded on the pod and the claim. A failure is
/// the NodeResizeError condition and FileSystemResizeFailed on the pod, and is tried again.
/// </summary>
internal sealed partial class CsiNodeExpander(IKubernetes client, string kubeletRoot, string nodeName, TimeProvider time, ILogger logger) : IAsyncDisposable
{
    private readonly EventRecorder _events = new(client, "kubelet", nodeName, time, logger);

    /// <summary>Whether the claim's resize is waiting for a node.</summary>
    public static bool Pending(V1PersistentVolumeClaim claim, V1PersistentVolume volume) =>
        claim.Status?.Phase == "Bound" && CsiClaimStatus.ResizeStatus(claim) switch
        {
            CsiClaimStatus.NodeResizePending or CsiClaimStatus.NodeResizeInProgress => true,
            null => claim.Status.Conditions?.Any(c => c.Type == "FileSystemResizePending") == true
                && CsiClaimStatus.StorageOf(claim.Status.Capacity).CompareTo(CsiClaimStatus.StorageOf(volume.Spec.Capacity)) < 0,
            _ => false,
        };

    /// <summary>Expands <paramref name="volume"/> on this node if a pod here has it published.</summary>
    public async Task ExpandAsync(V1PersistentVolumeClaim claim, V1PersistentVolume volume, CsiDriverClient driver, CancellationToken cancellationToken)
    {
        V1CSIPersistentVolumeSource csi = volume.Spec.Csi;
        if (CsiVolumes.Published(kubeletRoot, csi.Driver, csi.VolumeHandle).FirstOrDefault() is not { PodUid.Length: > 0 } published)
        {
            // Not in use here: the node that mounts it (now or at the next pod's start) grows it.
            return;
        }

        ResourceQuantity size = volume.Spec.Capacity[CsiClaimStatus.Storage];
        string pvName = volume.Metadata.Name;
        V1Pod? pod = (await client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: "spec.nodeName=" + nodeName, cancellationToken: cancellationToken).ConfigureAwait(false))
            .Items.FirstOrDefault(p => p.Metadata.Uid == published.PodUid);
        if (pod is not null)
        {
            // List items carry no kind; the event's involvedObject needs it.
            pod.ApiVersion = "v1";
            pod.Kind = "Pod";
        }

        if (await driver.NodeSupportsAsync(NodeServiceCapability.Types.RPC.Types.Type.ExpandVolume, cancellationToken).ConfigureAwait(false))
        {
            if (CsiClaimStatus.ResizeStatus(claim) is not null)
            {
                claim = await CsiClaimStatus.WriteAsync(client, claim, s => CsiClaimStatus.SetResizeStatus(s, CsiClaimStatus.NodeResizeInProgress), cancellationToken).ConfigureAwait(false);
            }

            var request = new NodeExpandVolumeRequest
            {
                VolumeId = csi.VolumeHandle,
                VolumePath = published.TargetPath,
                StagingTargetPath = published.StagingPath,
                CapacityRange = new CapacityRange { RequiredBytes = (long)size.ToQuantity().Value },
                VolumeCapability = CsiSidecars.Capability(volume.Spec.VolumeMode == "Block" ? null : csi.FsType, volume.Spec.MountOptions, "ReadWriteOnce", volume.Spec.VolumeMode),
            };
            try
            {
                request.Secrets.Add(await CsiSecrets.ReadAsync(client, csi.NodeExpandSecretRef, cancellationToken).ConfigureAwait(false));
                await driver.Node.NodeExpandVolumeAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RpcException or k8s.Autorest.HttpOperationException)
            {
                string error = "Expander.NodeExpand failed to expand the volume : " + (e is RpcException rpc ? $"rpc error: code = {rpc.StatusCode} desc = {rpc.Status.Detail}" : e.Message);
                await CsiClaimStatus.WriteAsync(client, claim, s => CsiClaimStatus.MergeConditions(s, keepOld: true, CsiClaimStatus.Condition("NodeResizeError", "failed to expand pvc with " + error, time)), cancellationToken).ConfigureAwait(false);
                if (pod is not null)
                {
                    _events.Event(pod, "Warning", "FileSystemResizeFailed", $"MountVolume.NodeExpandVolume failed for volume \"{pvName}\" : {error}");
                }

                throw new InvalidOperationException(error, e);
            }
        }

        claim = await CsiClaimStatus.WriteAsync(client, claim, s => CsiClaimStatus.MarkResizeFinished(s, size), cancellationToken).ConfigureAwait(false);
        string message = $"MountVolume.NodeExpandVolume succeeded for volume \"{pvName}\" {nodeName}";
        if (pod is not null)
        {
            _events.Event(pod, "Normal", "FileSystemResizeSuccessful", message);
        }

        _events.Event(claim, "Normal", "FileSystemResizeSuccessful", message);
        LogExpanded(logger, pvName, size, published.TargetPath);
    }

    public ValueTask DisposeAsync() => _events.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Information, Message = "NodeExpandVolume: {Volume} grown to {Capacity} at {Target}")]
    private static partial void LogExpanded(ILogger logger, string volume, ResourceQuantity capacity, string target);
}
