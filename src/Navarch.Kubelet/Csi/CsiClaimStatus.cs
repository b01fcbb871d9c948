using k8s;
using k8s.Models;
using Navarch.Api.Quantities;

namespace Navarch.Kubelet.Csi;

/// <summary>
/// The claim status writes of volume expansion (kube's pkg/volume/util/resize_util and the external-resizer's
/// resize_status): status.allocatedResources / allocatedResourceStatuses for <c>storage</c>, status.capacity and the
/// resize conditions, each written on a fresh copy of the claim.
/// </summary>
internal static class CsiClaimStatus
{
    public const string Storage = "storage";
    public const string ControllerResizeInProgress = "ControllerResizeInProgress";
    public const string ControllerResizeFailed = "ControllerResizeFailed";
    public const string NodeResizePending = "NodeResizePending";
    public const string NodeResizeInProgress = "NodeResizeInProgress";
    public const string FileSystemResizePendingMessage = "Waiting for user to (re-)start a pod to finish file system resize of volume on node.";

    /// <summary>The resize conditions MergeResizeConditionOnPVC replaces.</summary>
    private static readonly string[] ResizeConditions = ["Resizing", "FileSystemResizePending", "ControllerResizeError", "NodeResizeError"];

    /// <summary>The storage quantity in <paramref name="resources"/>, zero when absent.</summary>
    public static Quantity StorageOf(IDictionary<string, ResourceQuantity>? resources) =>
        resources?.TryGetValue(Storage, out ResourceQuantity? q) == true ? q.ToQuantity() : Quantity.Zero;

    /// <summary>The claim's allocatedResourceStatuses for storage, or null.</summary>
    public static string? ResizeStatus(V1PersistentVolumeClaim claim) =>
        claim.Status?.AllocatedResourceStatuses?.TryGetValue(Storage, out string? state) == true ? state : null;

    /// <summary>A True condition of <paramref name="type"/>.</summary>
    public static V1PersistentVolumeClaimCondition Condition(string type, string? message, TimeProvider time) =>
        new() { Type = type, Status = "True", LastTransitionTime = time.GetUtcNow().UtcDateTime, Message = string.IsNullOrEmpty(message) ? null : message };

    /// <summary>
    /// Sets the resize conditions to <paramref name="conditions"/> (keeping the other resize conditions when
    /// <paramref name="keepOld"/>), as MergeResizeConditionOnPVC does.
    /// </summary>
    public static void MergeConditions(V1PersistentVolumeClaimStatus status, bool keepOld, params V1PersistentVolumeClaimCondition[] conditions)
    {
        List<V1PersistentVolumeClaimCondition> merged = [.. (status.Conditions ?? []).Where(c => !conditions.Any(n => n.Type == c.Type) && (keepOld || !ResizeConditions.Contains(c.Type)))];
        merged.AddRange(conditions);
        status.Conditions = merged.Count == 0 ? null : merged;
    }

    /// <summary>allocatedResourceStatuses[storage] set to <paramref name="state"/>, or removed when null.</summary>
    public static void SetResizeStatus(V1PersistentVolumeClaimStatus status, string? state)
    {
        var statuses = new Dictionary<string, string>(status.AllocatedResourceStatuses ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (state is null)
        {
            statuses.Remove(Storage);
        }
        else
        {
            statuses[Storage] = state;
        }

        status.AllocatedResourceStatuses = statuses.Count == 0 ? null : statuses;
    }

    /// <summary>A map of <paramref name="map"/> with storage set to <paramref name="value"/>.</summary>
    public static Dictionary<string, ResourceQuantity> WithStorage(IDictionary<string, ResourceQuantity>? map, ResourceQuantity value) =>
        new(map ?? new Dictionary<string, ResourceQuantity>(), StringComparer.Ordinal) { [Storage] = value };

    /// <summary>
    /// MarkFSResizeFinished: status.capacity is <paramref name="capacity"/>, the resize status and every resize
    /// condition gone.
    /// </summary>
    public static void MarkResizeFinished(V1PersistentVolumeClaimStatus status, ResourceQuantity capacity)
    {
        status.Capacity = WithStorage(status.Capacity, capacity);
        SetResizeStatus(status, null);
        MergeConditions(status, keepOld: false);
    }

    /// <summary>Reads the claim again, changes its status and writes it; returns what the API server answered.</summary>
    public static async Task<V1PersistentVolumeClaim> WriteAsync(IKubernetes client, V1PersistentVolumeClaim claim, Action<V1PersistentVolumeClaimStatus> change, CancellationToken cancellationToken)
    {
        V1PersistentVolumeClaim current = await client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(claim.Metadata.Name, claim.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        current.Status ??= new V1PersistentVolumeClaimStatus();
        change(current.Status);
        return await client.CoreV1.ReplaceNamespacedPersistentVolumeClaimStatusAsync(current, current.Metadata.Name, current.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
