using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Navarch.Api.Quantities;
using Navarch.Client.Events;
using Navarch.Client.Informers;

namespace Navarch.Controllers.VolumeExpand;

/// <summary>
/// kube-controller-manager's persistentvolume-expander, with the external-resizer's control-plane part for the drivers
/// that have an <see cref="IVolumeResizer"/>. A Bound claim whose storage request exceeds its status.capacity:
/// without a resizer for its volume's driver, gets <c>ExternalExpanding</c> ("waiting for an external controller to
/// expand this PVC") and is left to a resizer outside; with one, goes through the external-resizer's states —
/// status.allocatedResources set to the request, allocatedResourceStatuses ControllerResizeInProgress with a Resizing
/// condition, ControllerExpandVolume, the volume's spec.capacity grown, then either NodeResizePending with the
/// FileSystemResizePending condition (the kubelet finishes it) or status.capacity grown and the conditions cleared.
/// </summary>
public sealed class ExpandController : QueueController
{
    private const string Storage = "storage";
    private const string InProgress = "ControllerResizeInProgress";
    private const string Failed = "ControllerResizeFailed";
    private const string NodePending = "NodeResizePending";

    private readonly Informer<V1PersistentVolumeClaim> _claims;
    private readonly Informer<V1PersistentVolume> _volumes;
    private readonly EventRecorder _expandEvents;
    private readonly ControllerContext _context;
    private readonly IReadOnlyDictionary<string, IVolumeResizer> _resizers;
    private readonly ConcurrentDictionary<string, EventRecorder> _resizerEvents = new(StringComparer.Ordinal);

    // The request each claim was last told to wait for, so ExternalExpanding is recorded once per request.
    private readonly ConcurrentDictionary<string, string> _announced = new(StringComparer.Ordinal);

    /// <summary>Creates the controller over the shared claim and volume informers.</summary>
    public ExpandController(ControllerContext context)
        : base("persistentvolume-expander", context)
    {
        _context = context;
        _claims = context.Informers.Get<V1PersistentVolumeClaim>();
        _volumes = context.Informers.Get<V1PersistentVolume>();
        _expandEvents = context.Recorder("volume_expand");
        _resizers = context.Options.VolumeResizers.ToDictionary(r => r.DriverName, StringComparer.Ordinal);
        _claims.AddHandler(new ResourceEventHandler<V1PersistentVolumeClaim>(Changed, (c, unknown) => _announced.TryRemove(c.Metadata.Uid ?? "", out string? _)));
    }

    private void Changed(V1PersistentVolumeClaim claim)
    {
        if (NeedsResize(claim))
        {
            Enqueue(claim);
        }
    }

    /// <summary>Bound, and asking for more than it has.</summary>
    private static bool NeedsResize(V1PersistentVolumeClaim claim) =>
        claim.Status?.Phase == "Bound" && claim.Metadata.DeletionTimestamp is null
        && Quantity(claim.Spec?.Resources?.Requests) > Quantity(claim.Status.Capacity);

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        if (_claims.Store.Get(key) is not { } claim || !NeedsResize(claim)
            || _volumes.Store.Get(claim.Spec.VolumeName) is not { } volume || volume.Spec?.ClaimRef?.Uid != claim.Metadata.Uid)
        {
            return;
        }

        ResourceQuantity requested = claim.Spec.Resources.Requests[Storage];
        string? driver = volume.Spec.Csi?.Driver;
        if (driver is null || !_resizers.TryGetValue(driver, out IVolumeResizer? resizer))
        {
            // FindExpandablePluginBySpec finds no in-tree expander: an external resizer's job.
            if (_announced.TryGetValue(claim.Metadata.Uid, out string? told) && told == requested.ToString())
            {
                return;
            }

            _expandEvents.Event(claim, "Warning", "ExternalExpanding", "waiting for an external controller to expand this PVC");
            _announced[claim.Metadata.Uid] = requested.ToString();
            return;
        }

        // The node still has to grow the filesystem to what the controller already allocated.
        if (claim.Status.AllocatedResourceStatuses?.TryGetValue(Storage, out string? state) == true && state == NodePending
            && Quantity(claim.Status.AllocatedResources) >= Quantity(claim.Spec.Resources.Requests))
        {
            return;
        }

        EventRecorder events = _resizerEvents.GetOrAdd(driver, d => _context.Recorder($"external-resizer {d}"));
        claim = await WriteStatusAsync(claim, s =>
        {
            s.AllocatedResources = With(s.AllocatedResources, requested);
            s.AllocatedResourceStatuses = With(s.AllocatedResourceStatuses, InProgress);
            s.Conditions = [Condition("Resizing", "")];
        }, cancellationToken).ConfigureAwait(false);
        events.Event(claim, "Normal", "Resizing", $"External resizer is resizing volume {volume.Metadata.Name}");

        VolumeResizeResult result;
        try
        {
            result = await resizer.ControllerExpandAsync(volume, requested, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or NotSupportedException)
        {
            string message = $"resize volume \"{volume.Metadata.Name}\" by resizer \"{driver}\" failed: {e.Message}";
            await WriteStatusAsync(claim, s =>
            {
                s.AllocatedResourceStatuses = With(s.AllocatedResourceStatuses, Failed);
                s.Conditions = [Condition("ControllerResizeError", message)];
            }, cancellationToken).ConfigureAwait(false);
            events.Event(claim, "Warning", "VolumeResizeFailed", message);
            throw new InvalidOperationException(message, e);
        }

        V1PersistentVolume grown = ModelCopies.Copy(volume);
        grown.Spec.Capacity = With(grown.Spec.Capacity, result.Capacity);
        await Client.CoreV1.ReplacePersistentVolumeAsync(grown, grown.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);

        if (result.NodeExpansionRequired)
        {
            await WriteStatusAsync(claim, s =>
            {
                s.AllocatedResourceStatuses = With(s.AllocatedResourceStatuses, NodePending);
                s.Conditions = [Condition("FileSystemResizePending", "Waiting for user to (re-)start a pod to finish file system resize of volume on node.")];
            }, cancellationToken).ConfigureAwait(false);
            events.Event(claim, "Normal", "FileSystemResizeRequired", "Require file system resize of volume on node");
            return;
        }

        await WriteStatusAsync(claim, s =>
        {
            s.Capacity = With(s.Capacity, result.Capacity);
            s.AllocatedResourceStatuses?.Remove(Storage);
            if (s.AllocatedResourceStatuses is { Count: 0 })
            {
                s.AllocatedResourceStatuses = null;
            }

            s.Conditions = null;
        }, cancellationToken).ConfigureAwait(false);
        events.Event(claim, "Normal", "VolumeResizeSuccessful", "Resize volume succeeded");
    }

    private async Task<V1PersistentVolumeClaim> WriteStatusAsync(V1PersistentVolumeClaim claim, Action<V1PersistentVolumeClaimStatus> change, CancellationToken cancellationToken)
    {
        V1PersistentVolumeClaim copy = ModelCopies.Copy(claim);
        copy.Status ??= new V1PersistentVolumeClaimStatus();
        change(copy.Status);
        return await Client.CoreV1.ReplaceNamespacedPersistentVolumeClaimStatusAsync(copy, copy.Metadata.Name, copy.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private V1PersistentVolumeClaimCondition Condition(string type, string message) => new()
    {
        Type = type,
        Status = "True",
        LastTransitionTime = ModelCopies.Now(Time),
        Message = message.Length == 0 ? null : message,
    };

    private static Dictionary<string, T> With<T>(IDictionary<string, T>? map, T value) =>
        new(map ?? new Dictionary<string, T>(), StringComparer.Ordinal) { [Storage] = value };

    private static Quantity Quantity(IDictionary<string, ResourceQuantity>? resources) =>
        resources?.TryGetValue(Storage, out ResourceQuantity? q) == true ? q.ToQuantity() : Navarch.Api.Quantities.Quantity.Zero;
}
