using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.Controllers.Tests;

/// <summary>The storage.k8s.io objects of the CSI path, stored and validated by the real API server and read by the real kubectl.</summary>
[Trait("Category", "Integration")]
public sealed class CsiObjectTests : ControllerCluster
{
    private static async Task<string> Invalid(Func<Task> write)
    {
        HttpOperationException e = await Assert.ThrowsAsync<HttpOperationException>(write);
        Assert.True(e.Response.StatusCode == HttpStatusCode.UnprocessableEntity, e.Response.Content);
        return e.Response.Content;
    }

    [Fact]
    public async Task A_CSIDriver_gets_Kubernetes_defaults_and_keeps_its_attach_mode()
    {
        V1CSIDriver driver = await Client.StorageV1.CreateCSIDriverAsync(new V1CSIDriver { Metadata = new V1ObjectMeta { Name = "local.csi.navarch.io" }, Spec = new V1CSIDriverSpec { AttachRequired = false } });
        Assert.Equal((false, false, "ReadWriteOnceWithFSType"), (driver.Spec.AttachRequired, driver.Spec.PodInfoOnMount, driver.Spec.FsGroupPolicy));
        Assert.Equal(["Persistent"], driver.Spec.VolumeLifecycleModes);

        driver.Spec.AttachRequired = true;
        Assert.Contains("spec.attachRequired", await Invalid(() => Client.StorageV1.ReplaceCSIDriverAsync(driver, driver.Metadata.Name)), StringComparison.Ordinal);
        Assert.Contains("metadata.name", await Invalid(() => Client.StorageV1.CreateCSIDriverAsync(new V1CSIDriver { Metadata = new V1ObjectMeta { Name = "Bad_Driver" }, Spec = new V1CSIDriverSpec() })), StringComparison.Ordinal);

        (int code, string output, string err) = await RealKubectl.RunAsync(Kubeconfig, "get", "csidriver");
        Assert.True(code == 0, err);
        Assert.Matches(@"NAME\s+ATTACHREQUIRED\s+PODINFOONMOUNT\s+STORAGECAPACITY\s+TOKENREQUESTS\s+REQUIRESREPUBLISH\s+MODES\s+AGE", output);
        Assert.Matches(@"local\.csi\.navarch\.io\s+false\s+false\s+false\s+<unset>\s+false\s+Persistent", output);
    }

    [Fact]
    public async Task CSINode_VolumeAttachment_and_CSIStorageCapacity_are_validated()
    {
        V1CSINode node = await Client.StorageV1.CreateCSINodeAsync(new V1CSINode
        {
            Metadata = new V1ObjectMeta { Name = "node-a" },
            Spec = new V1CSINodeSpec { Drivers = [new V1CSINodeDriver { Name = "local.csi.navarch.io", NodeID = "node-a", TopologyKeys = ["kubernetes.io/hostname"] }] },
        });
        node.Spec.Drivers[0].NodeID = "other";
        Assert.Contains("spec.drivers[0].nodeID", await Invalid(() => Client.StorageV1.ReplaceCSINodeAsync(node, "node-a")), StringComparison.Ordinal);
        Assert.Contains("Duplicate value", await Invalid(() => Client.StorageV1.CreateCSINodeAsync(new V1CSINode
        {
            Metadata = new V1ObjectMeta { Name = "node-b" },
            Spec = new V1CSINodeSpec { Drivers = [new V1CSINodeDriver { Name = "d.io", NodeID = "b" }, new V1CSINodeDriver { Name = "d.io", NodeID = "b" }] },
        })), StringComparison.Ordinal);

        V1VolumeAttachment attachment = await Client.StorageV1.CreateVolumeAttachmentAsync(new V1VolumeAttachment
        {
            Metadata = new V1ObjectMeta { Name = "csi-0123" },
            Spec = new V1VolumeAttachmentSpec { Attacher = "local.csi.navarch.io", NodeName = "node-a", Source = new V1VolumeAttachmentSource { PersistentVolumeName = "pv-1" } },
        });
        attachment.Status = new V1VolumeAttachmentStatus { Attached = true, AttachmentMetadata = new Dictionary<string, string> { ["devicePath"] = "/dev/loop3" } };
        V1VolumeAttachment attached = await Client.StorageV1.ReplaceVolumeAttachmentStatusAsync(attachment, "csi-0123");
        Assert.True(attached.Status.Attached);
        attached.Spec.NodeName = "node-b";
        Assert.Contains("field is immutable", await Invalid(() => Client.StorageV1.ReplaceVolumeAttachmentAsync(attached, "csi-0123")), StringComparison.Ordinal);
        Assert.Contains("must specify exactly one of inlineVolumeSpec and persistentVolumeName", await Invalid(() => Client.StorageV1.CreateVolumeAttachmentAsync(new V1VolumeAttachment
        {
            Metadata = new V1ObjectMeta { Name = "no-source" },
            Spec = new V1VolumeAttachmentSpec { Attacher = "local.csi.navarch.io", NodeName = "node-a", Source = new V1VolumeAttachmentSource() },
        })), StringComparison.Ordinal);
        (int code, string output, string err) = await RealKubectl.RunAsync(Kubeconfig, "get", "volumeattachments");
        Assert.True(code == 0, err);
        Assert.Matches(@"csi-0123\s+local\.csi\.navarch\.io\s+pv-1\s+node-a\s+true", output);

        await Client.StorageV1.CreateNamespacedCSIStorageCapacityAsync(new V1CSIStorageCapacity { Metadata = new V1ObjectMeta { Name = "cap-a" }, StorageClassName = "local-path", Capacity = new ResourceQuantity("100Gi") }, "default");
        Assert.Contains("storageClassName", await Invalid(() => Client.StorageV1.CreateNamespacedCSIStorageCapacityAsync(new V1CSIStorageCapacity { Metadata = new V1ObjectMeta { Name = "cap-b" } }, "default")), StringComparison.Ordinal);
    }
}
