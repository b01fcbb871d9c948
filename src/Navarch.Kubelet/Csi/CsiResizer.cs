using System.Collections.Concurrent;
using Grpc.Core;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Api.Quantities;
using Navarch.Client.Events;
using Navarch.Kubelet.Csi.V1;

namespace Navarch.Kubelet.Csi;

/// <summary>
/// The external-resizer's control-plane part for a driver registered on this node: a Bound claim asking for more than
/// its status.capacity, on a volume of that driver, gets allocatedResources set to the request,
/// allocatedResourceStatuses <c>ControllerResizeInProgress</c> and the Resizing condition, then ControllerExpandVolume
/// (with the PV's controllerExpandSecretRef) when the driver has the controller EXPAND_VOLUME capability — without it,
/// a driver with the node EXPAND_VOLUME capability gets the trivial resizer's answer (the requested size, node expansion
/// required) — and the PersistentVolume's capacity grown; then either <c>NodeResizePending</c> with the
/// FileSystemResizePending condition (the kubelet's NodeExpandVolume finishes it, <see cref="CsiNodeExpander"/>) or
/// status.capacity grown and the resize conditions cleared. Events as the external-resizer records them, from
/// <c>external-resizer DRIVER</c>.
/// </summary>
internal sealed partial class CsiResizer(IKubernetes client, string nodeName, TimeProvider time, ILogger logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, EventRecorder> _events = new(StringComparer.Ordinal);

    /// <summary>Bound, and asking for more than it has (the external-resizer's pvcNeedResize).</summary>
    public static bool NeedsResize(V1PersistentVolumeClaim claim) =>
        claim.Status?.Phase == "Bound" && claim.Metadata.DeletionTimestamp is null
        && CsiClaimStatus.StorageOf(claim.Spec?.Resources?.Requests).CompareTo(CsiClaimStatus.StorageOf(claim.Status.Capacity)) > 0;

    /// <summary>Takes <paramref name="claim"/>, bound to <paramref name="volume"/> of <paramref name="driver"/>, one step towards its requested size.</summary>
    public async Task ResizeAsync(V1PersistentVolumeClaim claim, V1PersistentVolume volume, CsiDriverClient driver, CancellationToken cancellationToken)
    {
        // The node still has to grow the filesystem to what was already allocated.
        if (CsiClaimStatus.ResizeStatus(claim) is CsiClaimStatus.NodeResizePending or CsiClaimStatus.NodeResizeInProgress
            && CsiClaimStatus.StorageOf(claim.Status.AllocatedResources).CompareTo(CsiClaimStatus.StorageOf(claim.Spec.Resources.Requests)) >= 0)
        {
            return;
        }

        bool controllerExpands = await driver.ControllerSupportsAsync(ControllerServiceCapability.Types.RPC.Types.Type.ExpandVolume, cancellationToken).ConfigureAwait(false);
        if (!controllerExpands && !await driver.NodeSupportsAsync(NodeServiceCapability.Types.RPC.Types.Type.ExpandVolume, cancellationToken).ConfigureAwait(false))
        {
            // The external-resizer does not run for a driver that can expand neither way.
            return;
        }

        EventRecorder events = _events.GetOrAdd(driver.Name, d => new EventRecorder(client, "external-resizer " + d, nodeName, time, logger));
        ResourceQuantity requested = claim.Spec.Resources.Requests[CsiClaimStatus.Storage];
        claim = await CsiClaimStatus.WriteAsync(client, claim, s =>
        {
            s.AllocatedResources = CsiClaimStatus.WithStorage(s.AllocatedResources, requested);
            CsiClaimStatus.SetResizeStatus(s, CsiClaimStatus.ControllerResizeInProgress);
            CsiClaimStatus.MergeConditions(s, keepOld: false, CsiClaimStatus.Condition("Resizing", null, time));
        }, cancellationToken).ConfigureAwait(false);
        events.Event(claim, "Normal", "Resizing", $"External resizer is resizing volume {volume.Metadata.Name}");

        ResourceQuantity capacity = requested;
        bool nodeExpansion = true;
        if (controllerExpands)
        {
            V1CSIPersistentVolumeSource csi = volume.Spec.Csi;
            var request = new ControllerExpandVolumeRequest
            {
                VolumeId = csi.VolumeHandle,
                CapacityRange = new CapacityRange { RequiredBytes = (long)requested.ToQuantity().Value },
                VolumeCapability = CsiSidecars.Capability(csi.FsType, volume.Spec.MountOptions, volume.Spec.AccessModes?.FirstOrDefault(), volume.Spec.VolumeMode),
            };
            try
            {
                request.Secrets.Add(await CsiSecrets.ReadAsync(client, csi.ControllerExpandSecretRef, cancellationToken).ConfigureAwait(false));
                ControllerExpandVolumeResponse response = await driver.Controller.ControllerExpandVolumeAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (response.CapacityBytes > 0)
                {
                    capacity = new ResourceQuantity(Quantity.FromUnits(response.CapacityBytes, QuantityFormat.BinarySI).ToString());
                }

                nodeExpansion = response.NodeExpansionRequired;
            }
            catch (Exception e) when (e is RpcException or k8s.Autorest.HttpOperationException)
            {
                string error = e is RpcException rpc ? $"rpc error: code = {rpc.StatusCode} desc = {rpc.Status.Detail}" : e.Message;
                string message = $"resize volume \"{volume.Metadata.Name}\" by resizer \"{driver.Name}\" failed: {error}";
                await CsiClaimStatus.WriteAsync(client, claim, s =>
                {
                    CsiClaimStatus.SetResizeStatus(s, CsiClaimStatus.ControllerResizeFailed);
                    CsiClaimStatus.MergeConditions(s, keepOld: false, CsiClaimStatus.Condition("ControllerResizeError", message, time));
                }, cancellationToken).ConfigureAwait(false);
                events.Event(claim, "Warning", "VolumeResizeFailed", message);
                throw new InvalidOperationException(message, e);
            }
        }

        V1PersistentVolume grown = await client.CoreV1.ReadPersistentVolumeAsync(volume.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        grown.Spec.Capacity = CsiClaimStatus.WithStorage(grown.Spec.Capacity, capacity);
        await client.CoreV1.ReplacePersistentVolumeAsync(grown, grown.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        LogExpanded(logger, volume.Metadata.Name, capacity, nodeExpansion);

        if (nodeExpansion)
        {
            await CsiClaimStatus.WriteAsync(client, claim, s =>
            {
                CsiClaimStatus.SetResizeStatus(s, CsiClaimStatus.NodeResizePending);
                CsiClaimStatus.MergeConditions(s, keepOld: false, CsiClaimStatus.Condition("FileSystemResizePending", CsiClaimStatus.FileSystemResizePendingMessage, time));
            }, cancellationToken).ConfigureAwait(false);
            events.Event(claim, "Normal", "FileSystemResizeRequired", "Require file system resize of volume on node");
            return;
        }

        await CsiClaimStatus.WriteAsync(client, claim, s => CsiClaimStatus.MarkResizeFinished(s, capacity), cancellationToken).ConfigureAwait(false);
        events.Event(claim, "Normal", "VolumeResizeSuccessful", "Resize volume succeeded");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (EventRecorder recorder in _events.Values)
        {
            await recorder.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ControllerExpandVolume: {Volume} is now {Capacity} (node expansion required: {NodeExpansion})")]
    private static partial void LogExpanded(ILogger logger, string volume, ResourceQuantity capacity, bool nodeExpansion);
}
