using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Api.Pods;
using Navarch.Api.Storage;
using Navarch.Client.Informers;

namespace Navarch.Controllers.AttachDetach;

/// <summary>
/// kube-controller-manager's attach-detach controller for CSI volumes, one node per key. Desired: every CSI
/// PersistentVolume used (through a bound claim, or the pod's generic ephemeral claim) by a pod scheduled to the node
/// and not finished, whose driver needs attaching (no CSIDriver object, or one with attachRequired true). Each gets the
/// VolumeAttachment <c>csi-sha256(handle+driver+node)</c> (attacher = driver, source = the PV); the driver's attacher
/// sets its status.attached. A VolumeAttachment of the node no longer desired is deleted once the node no longer
/// reports the volume in status.volumesInUse (the kubelet has unmounted it), or at once when the node is gone; one
/// whose PersistentVolume is not a known CSI volume is left alone. The node's status.volumesAttached lists the
/// attachments the driver reports attached (<c>kubernetes.io/csi/DRIVER^HANDLE</c>, devicePath empty as the csi
/// attacher leaves it), a volume dropped from it before its attachment is deleted.
/// </summary>
public sealed class AttachDetachController : QueueController
{
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1Node> _nodes;
    private readonly Informer<V1PersistentVolumeClaim> _claims;
    private readonly Informer<V1PersistentVolume> _volumes;
    private readonly Informer<V1CSIDriver> _drivers;
    private readonly Informer<V1VolumeAttachment> _attachments;

    /// <summary>Creates the controller over the shared informers.</summary>
    public AttachDetachController(ControllerContext context)
        : base("attachdetach", context)
    {
        _pods = context.Informers.Get<V1Pod>();
        _nodes = context.Informers.Get<V1Node>();
        _claims = context.Informers.Get<V1PersistentVolumeClaim>();
        _volumes = context.Informers.Get<V1PersistentVolume>();
        _drivers = context.Informers.Get<V1CSIDriver>();
        _attachments = context.Informers.Get<V1VolumeAttachment>();
        _pods.AddHandler(new ResourceEventHandler<V1Pod>(p => EnqueueNode(p.Spec?.NodeName), (p, _) => EnqueueNode(p.Spec?.NodeName)));
        _nodes.AddHandler(new ResourceEventHandler<V1Node>(n => EnqueueNode(n.Metadata.Name), (n, _) => EnqueueNode(n.Metadata.Name)));
        _attachments.AddHandler(new ResourceEventHandler<V1VolumeAttachment>(a => EnqueueNode(a.Spec?.NodeName), (a, _) => EnqueueNode(a.Spec?.NodeName)));

        // A claim bound, a volume or a driver changed: any node may now want (or not) an attachment.
        _claims.AddHandler(new ResourceEventHandler<V1PersistentVolumeClaim>(_ => EnqueueAllNodes(), (_, _) => { }));
        _volumes.AddHandler(new ResourceEventHandler<V1PersistentVolume>(_ => EnqueueAllNodes(), (_, _) => { }));
        _drivers.AddHandler(new ResourceEventHandler<V1CSIDriver>(_ => EnqueueAllNodes(), (_, _) => EnqueueAllNodes()));
    }

    private void EnqueueNode(string? node)
    {
        if (!string.IsNullOrEmpty(node))
        {
            Queue.Add(node);
        }
    }

    private void EnqueueAllNodes()
    {
        foreach (string node in _pods.Store.List().Select(p => p.Spec?.NodeName).Concat(_attachments.Store.List().Select(a => a.Spec?.NodeName)).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            EnqueueNode(node);
        }
    }

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        string node = key;
        Dictionary<string, V1VolumeAttachment> desired = DesiredAttachments(node);
        foreach ((string name, V1VolumeAttachment attachment) in desired)
        {
            if (_attachments.Store.Get(name) is null)
            {
                try
                {
                    await Client.StorageV1.CreateVolumeAttachmentAsync(attachment, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
                {
                    // Made already (the cache lags).
                }
            }
        }

        V1Node? nodeObject = _nodes.Store.Get(node);
        HashSet<string> inUse = [.. nodeObject?.Status?.VolumesInUse ?? []];
        var attached = new List<V1AttachedVolume>();
        var detach = new List<string>();
        foreach (V1VolumeAttachment attachment in _attachments.Store.List().Where(a => a.Spec?.NodeName == node && a.Metadata.DeletionTimestamp is null))
        {
            // An attachment of a volume it cannot find is not its own to judge (processVolumeAttachments skips it).
            if (attachment.Spec.Source?.PersistentVolumeName is not { } pvName || _volumes.Store.Get(pvName)?.Spec?.Csi?.VolumeHandle is not { } handle)
            {
                continue;
            }

            // Detach only what the kubelet has unmounted (it stops listing the volume in use), unless the node is gone.
            string uniqueName = CsiVolumeNames.UniqueName(attachment.Spec.Attacher, handle);
            if (!desired.ContainsKey(attachment.Metadata.Name) && (nodeObject is null || !inUse.Contains(uniqueName)))
            {
                detach.Add(attachment.Metadata.Name);
            }
            else if (attachment.Status?.Attached == true)
            {
                // The csi attacher returns no device path (the kubelet finds the attachment by its name).
                attached.Add(new V1AttachedVolume { Name = uniqueName, DevicePath = "" });
            }
        }

        // As the reconciler: a volume leaves the node's volumesAttached before it is detached, so the kubelet never
        // sees a volume reported attached that is already going.
        if (nodeObject is not null)
        {
            await NodeStatusUpdater.UpdateAsync(Client, nodeObject, attached, cancellationToken).ConfigureAwait(false);
        }

        foreach (string name in detach)
        {
            try
            {
                await Client.StorageV1.DeleteVolumeAttachmentAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
            }
        }
    }

    /// <summary>The attachments the node's pods need, by name.</summary>
    private Dictionary<string, V1VolumeAttachment> DesiredAttachments(string node)
    {
        var desired = new Dictionary<string, V1VolumeAttachment>(StringComparer.Ordinal);
        foreach (V1Pod pod in _pods.Store.List().Where(p => p.Spec?.NodeName == node && p.Status?.Phase is not ("Succeeded" or "Failed")))
        {
            foreach (V1Volume volume in pod.Spec.Volumes ?? [])
            {
                string? claimName = volume.PersistentVolumeClaim?.ClaimName ?? (volume.Ephemeral is not null ? EphemeralVolumes.ClaimName(pod, volume) : null);
                if (claimName is null
                    || _claims.Store.Get($"{pod.Metadata.NamespaceProperty}/{claimName}") is not { Status.Phase: "Bound" } claim
                    || _volumes.Store.Get(claim.Spec.VolumeName ?? "") is not { Spec.Csi: { } csi } pv
                    || _drivers.Store.Get(csi.Driver) is { Spec.AttachRequired: false })
                {
                    continue;
                }

                string name = CsiVolumeNames.AttachmentName(csi.VolumeHandle, csi.Driver, node);
                desired[name] = new V1VolumeAttachment
                {
                    Metadata = new V1ObjectMeta { Name = name },
                    Spec = new V1VolumeAttachmentSpec
                    {
                        Attacher = csi.Driver,
                        NodeName = node,
                        Source = new V1VolumeAttachmentSource { PersistentVolumeName = pv.Metadata.Name },
                    },
                };
            }
        }

        return desired;
    }
}
