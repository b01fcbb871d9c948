using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Api.Storage;
using static Navarch.Controllers.Tests.PersistentVolumeTests;

namespace Navarch.Controllers.Tests;

/// <summary>
/// The attach-detach controller against a real API server and controller manager: a pod scheduled to a node with a
/// bound CSI volume gets its VolumeAttachment (not for a driver with attachRequired false), which stays while the node
/// reports the volume in use and goes once the pod is gone and the kubelet has unmounted it; the node's volumesAttached
/// follows what the driver attached.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AttachDetachTests : ControllerCluster
{
    private const string Ns = "default";

    protected override ControllerManagerOptions Options => new() { PersistentVolumeSyncPeriod = TimeSpan.FromMilliseconds(300) };

    [Fact]
    public async Task A_scheduled_pod_gets_its_attachment_until_the_node_has_unmounted_the_volume()
    {
        await Client.StorageV1.CreateCSIDriverAsync(new V1CSIDriver { Metadata = new V1ObjectMeta { Name = "noattach.csi.test" }, Spec = new V1CSIDriverSpec { AttachRequired = false } });
        await Client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "n1" } });
        await BoundClaimAsync("disk", "attach.csi.test", "handle-1");
        await BoundClaimAsync("share", "noattach.csi.test", "handle-2");
        await Client.CoreV1.CreateNamespacedPodAsync(Pod("p", "n1", "disk", "share"), Ns);

        string name = CsiVolumeNames.AttachmentName("handle-1", "attach.csi.test", "n1");
        V1VolumeAttachment attachment = await Eventually(() => ReadOrNull(name), a => a is not null, "the VolumeAttachment") ?? throw new InvalidOperationException();
        Assert.Equal("attach.csi.test", attachment.Spec.Attacher);
        Assert.Equal("n1", attachment.Spec.NodeName);
        Assert.Equal("disk-pv", attachment.Spec.Source.PersistentVolumeName);
        V1VolumeAttachmentList all = await Client.StorageV1.ListVolumeAttachmentAsync();
        Assert.Single(all.Items);

        // The kubelet still has it mounted: the pod's deletion alone does not detach it.
        V1Node node = await Client.CoreV1.ReadNodeAsync("n1");
        node.Status = new V1NodeStatus { VolumesInUse = [CsiVolumeNames.UniqueName("attach.csi.test", "handle-1")] };
        await Client.CoreV1.ReplaceNodeStatusAsync(node, "n1");
        await Client.CoreV1.DeleteNamespacedPodAsync("p", Ns, new V1DeleteOptions { GracePeriodSeconds = 0 });
        await Eventually(async () => (await Client.CoreV1.ListNamespacedPodAsync(Ns)).Items.Count == 0, "the pod gone");
        await Task.Delay(1000);
        Assert.NotNull(await ReadOrNull(name));

        node = await Client.CoreV1.ReadNodeAsync("n1");
        node.Status.VolumesInUse = [];
        await Client.CoreV1.ReplaceNodeStatusAsync(node, "n1");
        await Eventually(() => ReadOrNull(name), a => a is null, "the VolumeAttachment deleted");
    }

    [Fact]
    public async Task The_node_lists_in_volumesAttached_what_the_driver_attached_and_drops_it_before_the_detach()
    {
        await Client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "n1" } });
        await BoundClaimAsync("disk", "attach.csi.test", "handle-1");
        await Client.CoreV1.CreateNamespacedPodAsync(Pod("p", "n1", "disk"), Ns);
        string name = CsiVolumeNames.AttachmentName("handle-1", "attach.csi.test", "n1");
        string unique = CsiVolumeNames.UniqueName("attach.csi.test", "handle-1");
        V1VolumeAttachment attachment = await Eventually(() => ReadOrNull(name), a => a is not null, "the VolumeAttachment") ?? throw new InvalidOperationException();

        // Not attached yet: not reported.
        await Task.Delay(500);
        Assert.Null((await Client.CoreV1.ReadNodeAsync("n1")).Status?.VolumesAttached);

        // The driver's attacher marks it attached, holding it with its finalizer as the external attacher does.
        attachment.Metadata.Finalizers = ["external-attacher/attach-csi-test"];
        attachment = await Client.StorageV1.ReplaceVolumeAttachmentAsync(attachment, name);
        attachment.Status = new V1VolumeAttachmentStatus { Attached = true };
        await Client.StorageV1.ReplaceVolumeAttachmentStatusAsync(attachment, name);
        V1Node node = await Eventually(() => Client.CoreV1.ReadNodeAsync("n1"), n => n.Status?.VolumesAttached?.Count == 1, "volumesAttached");
        Assert.Equal(unique, node.Status.VolumesAttached[0].Name);
        Assert.Equal("", node.Status.VolumesAttached[0].DevicePath);

        // The kubelet's volumesInUse (a strategic merge of its own fields) leaves volumesAttached as it is.
        await Client.CoreV1.PatchNodeStatusAsync(new V1Patch("{\"status\":{\"volumesInUse\":[\"" + unique + "\"]}}", V1Patch.PatchType.StrategicMergePatch), "n1");
        await Client.CoreV1.DeleteNamespacedPodAsync("p", Ns, new V1DeleteOptions { GracePeriodSeconds = 0 });
        await Task.Delay(1000);
        node = await Client.CoreV1.ReadNodeAsync("n1");
        Assert.Equal([unique], node.Status.VolumesAttached.Select(v => v.Name));
        Assert.Null((await ReadOrNull(name))?.Metadata.DeletionTimestamp);

        // Unmounted: the volume leaves volumesAttached and its attachment is deleted (held by the attacher's finalizer).
        await Client.CoreV1.PatchNodeStatusAsync(new V1Patch("""{"status":{"volumesInUse":null}}""", V1Patch.PatchType.MergePatch), "n1");
        attachment = await Eventually(() => ReadOrNull(name), a => a?.Metadata.DeletionTimestamp is not null, "the VolumeAttachment being deleted") ?? throw new InvalidOperationException();
        node = await Client.CoreV1.ReadNodeAsync("n1");
        Assert.Null(node.Status.VolumesAttached);
        attachment.Metadata.Finalizers = [];
        await Client.StorageV1.ReplaceVolumeAttachmentAsync(attachment, name);
        await Eventually(() => ReadOrNull(name), a => a is null, "the VolumeAttachment gone");
    }

    [Fact]
    public async Task A_finished_pod_or_an_unscheduled_one_needs_no_attachment()
    {
        await BoundClaimAsync("disk", "attach.csi.test", "handle-1");
        await Client.CoreV1.CreateNamespacedPodAsync(Pod("pending", null, "disk"), Ns);
        await Task.Delay(1000);
        Assert.Empty((await Client.StorageV1.ListVolumeAttachmentAsync()).Items);

        // Once the node is gone its attachments go without waiting for an unmount.
        await Client.CoreV1.CreateNamespacedPodAsync(Pod("p", "gone-node", "disk"), Ns);
        string name = CsiVolumeNames.AttachmentName("handle-1", "attach.csi.test", "gone-node");
        await Eventually(() => ReadOrNull(name), a => a is not null, "the VolumeAttachment");
        V1Pod pod = await Client.CoreV1.ReadNamespacedPodAsync("p", Ns);
        pod.Status = new V1PodStatus { Phase = "Succeeded" };
        await Client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, "p", Ns);
        await Eventually(() => ReadOrNull(name), a => a is null, "the VolumeAttachment of a finished pod on a gone node deleted");
    }

    private async Task BoundClaimAsync(string name, string driver, string handle)
    {
        V1PersistentVolume volume = Volume($"{name}-pv", "1Gi");
        volume.Spec.HostPath = null;
        volume.Spec.Csi = new V1CSIPersistentVolumeSource { Driver = driver, VolumeHandle = handle };
        await Client.CoreV1.CreatePersistentVolumeAsync(volume);
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim(name, "1Gi"), Ns);
        await Eventually(() => Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(name, Ns), c => c.Status?.Phase == "Bound", $"{name} is Bound");
    }

    private static V1Pod Pod(string name, string? node, params string[] claims) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec
        {
            NodeName = node,
            Containers = [new V1Container { Name = "c", Image = "busybox" }],
            Volumes = [.. claims.Select(c => new V1Volume { Name = c, PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = c } })],
        },
    };

    private async Task<V1VolumeAttachment?> ReadOrNull(string name)
    {
        try
        {
            return await Client.StorageV1.ReadVolumeAttachmentAsync(name);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
