using k8s;
using k8s.Models;
using Navarch.Api.Storage;
using Navarch.Kubelet.Csi;
using Navarch.Kubelet.Volumes;
using Navarch.Testing;

namespace Navarch.Kubelet.Tests.Csi;

/// <summary>
/// CSI volumes on a real kubelet, containerd and API server with the tests' C# CSI driver registered through the
/// kubelet's plugins_registry: a pre-made volume bound to a claim is staged and published (volume context, pod info,
/// the publish secret read as the node), a real container writes into it, and deleting the pod unpublishes and
/// unstages it; a driver error is the pod's FailedMount.
/// </summary>
[Trait("Category", "Node")]
public sealed class CsiEndToEndTests(ITestOutputHelper output)
{
    private const string Ns = "default";
    private const string Driver = "hostpath.csi.navarch.test";

    [Fact]
    public async Task A_csi_volume_is_staged_published_written_by_a_container_and_torn_down()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        Kubernetes client = node.Client;
        await using TestCsiDriver driver = await TestCsiDriver.StartAsync(Driver, Path.Combine(node.Options.AgentDir, "plugins_registry"), (n, d, r, a) => new TestCsiDriver(n, d, r, a) { NodeId = node.Options.NodeName });
        await driver.WaitRegisteredAsync(client, node.Options.NodeName);
        await client.StorageV1.CreateCSIDriverAsync(new V1CSIDriver
        {
            Metadata = new V1ObjectMeta { Name = Driver },
            Spec = new V1CSIDriverSpec { AttachRequired = false, PodInfoOnMount = true, FsGroupPolicy = "File" },
        });
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "publish" }, StringData = new Dictionary<string, string> { ["key"] = "s3cret" } }, Ns);
        Directory.CreateDirectory(Path.Combine(driver.VolumesDir, "vol-1"));
        await CreateBoundVolumeAsync(client, "pv-csi", "data", new V1CSIPersistentVolumeSource
        {
            Driver = Driver,
            VolumeHandle = "vol-1",
            VolumeAttributes = new Dictionary<string, string> { ["share"] = "one" },
            NodePublishSecretRef = new V1SecretReference { Name = "publish", NamespaceProperty = Ns },
        });

        V1Pod writer = Pod(node, "writer", "echo from-container > /data/f && ls -ln /data/f > /data/owner", "data");
        writer.Spec.SecurityContext = new V1PodSecurityContext { RunAsUser = 1000, FsGroup = 3000 };
        writer = await client.CoreV1.CreateNamespacedPodAsync(writer, Ns);
        await TestPods.WaitPhaseAsync(client, "writer", "Succeeded");
        Assert.Equal("from-container\n", File.ReadAllText(Path.Combine(driver.VolumesDir, "vol-1", "f")));
        Assert.Contains(" 1000 ", File.ReadAllText(Path.Combine(driver.VolumesDir, "vol-1", "owner")), StringComparison.Ordinal);

        string staging = Path.Combine(node.Options.AgentDir, "plugins", "kubernetes.io", "csi", Driver, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("vol-1"u8)), "globalmount");
        string target = Path.Combine(node.Options.AgentDir, "pods", writer.Metadata.Uid, "volumes", "kubernetes.io~csi", "pv-csi", "mount");
        Assert.Equal(staging, driver.LastStage!.StagingTargetPath);
        Assert.Equal(target, driver.LastPublish!.TargetPath);
        Assert.Equal(staging, driver.LastPublish.StagingTargetPath);
        Assert.Equal("one", driver.LastPublish.VolumeContext["share"]);
        Assert.Equal("writer", driver.LastPublish.VolumeContext["csi.storage.k8s.io/pod.name"]);
        Assert.Equal(writer.Metadata.Uid, driver.LastPublish.VolumeContext["csi.storage.k8s.io/pod.uid"]);
        Assert.Equal("false", driver.LastPublish.VolumeContext["csi.storage.k8s.io/ephemeral"]);
        Assert.Equal("s3cret", driver.LastPublish.Secrets["key"]);
        Assert.False(driver.LastPublish.Readonly);
        Assert.Equal(Navarch.Kubelet.Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode.SingleNodeWriter, driver.LastPublish.VolumeCapability.AccessMode.Mode);

        await TestPods.DeleteAndWaitGoneAsync(client, "writer", gracePeriodSeconds: 1);
        await KubeletNode.WaitAsync(() => Task.FromResult(driver.Calls.Any(c => c.StartsWith("NodeUnstageVolume vol-1", StringComparison.Ordinal)) ? "unstaged" : null), "NodeUnstageVolume");
        Assert.Contains($"NodeUnpublishVolume vol-1 {target}", driver.Calls);
        Assert.Empty(MountTable.MountsUnder(Path.Combine(node.Options.AgentDir, "plugins")));
        Assert.True(File.Exists(Path.Combine(driver.VolumesDir, "vol-1", "f")));

        // The driver's error is the pod's FailedMount, and the pod waits.
        driver.PublishError = "disk on fire";
        await client.CoreV1.CreateNamespacedPodAsync(Pod(node, "broken", "true", "data"), Ns);
        Corev1Event failed = await KubeletNode.WaitAsync(async () => (await client.CoreV1.ListNamespacedEventAsync(Ns)).Items.FirstOrDefault(e => e.InvolvedObject.Name == "broken" && e.Reason == "FailedMount"), "FailedMount");
        Assert.Equal("Unable to attach or mount volumes: unmounted volumes=[data]: MountVolume.SetUp failed for volume \"pv-csi\" : rpc error: code = Internal desc = disk on fire", failed.Message);
        await TestPods.DeleteAndWaitGoneAsync(client, "broken", gracePeriodSeconds: 1);
    }

    [Fact]
    public async Task A_claim_is_provisioned_attached_published_and_on_deletion_detached_and_deleted()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        Kubernetes client = node.Client;
        using var stop = new CancellationTokenSource();
        Task sidecars = node.Kubelet.RunCsiSidecarsAsync(client, stop.Token);
        try
        {
            await using TestCsiDriver driver = await TestCsiDriver.StartAsync(Driver, Path.Combine(node.Options.AgentDir, "plugins_registry"), (n, d, r, a) => new TestCsiDriver(n, d, r, a) { NodeId = "id-" + node.Options.NodeName, Attach = true });
            await driver.WaitRegisteredAsync(client, node.Options.NodeName);
            await client.StorageV1.CreateCSIDriverAsync(new V1CSIDriver { Metadata = new V1ObjectMeta { Name = Driver }, Spec = new V1CSIDriverSpec { AttachRequired = true } });
            await client.StorageV1.CreateStorageClassAsync(new V1StorageClass
            {
                Metadata = new V1ObjectMeta { Name = "csi" },
                Provisioner = Driver,
                ReclaimPolicy = "Delete",
                Parameters = new Dictionary<string, string>
                {
                    ["tier"] = "fast",
                    ["csi.storage.k8s.io/fstype"] = "ext4",
                    ["csi.storage.k8s.io/provisioner-secret-name"] = "prov-${pvc.name}",
                    ["csi.storage.k8s.io/provisioner-secret-namespace"] = "${pvc.namespace}",
                    ["csi.storage.k8s.io/controller-publish-secret-name"] = "${pvc.annotations['team.example/publish']}",
                    ["csi.storage.k8s.io/controller-publish-secret-namespace"] = Ns,
                    ["csi.storage.k8s.io/node-expand-secret-name"] = "${pv.name}",
                    ["csi.storage.k8s.io/node-expand-secret-namespace"] = Ns,
                },
            });
            await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "prov-dyn" }, StringData = new Dictionary<string, string> { ["k"] = "provisioner" } }, Ns);
            await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "publish-creds" }, StringData = new Dictionary<string, string> { ["k"] = "publisher" } }, Ns);

            // The PersistentVolume controller hands the claim to its external provisioner with this annotation.
            V1PersistentVolumeClaim claim = await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(new V1PersistentVolumeClaim
            {
                Metadata = new V1ObjectMeta { Name = "dyn", Annotations = new Dictionary<string, string> { [StorageAnnotations.StorageProvisioner] = Driver, ["team.example/publish"] = "publish-creds" } },
                Spec = new V1PersistentVolumeClaimSpec { AccessModes = ["ReadWriteOnce"], StorageClassName = "csi", Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("64Mi") } } },
            }, Ns);
            string pvName = "pvc-" + claim.Metadata.Uid;
            V1PersistentVolume pv = await KubeletNode.WaitAsync(() => Absent.OrNullAsync(() => client.CoreV1.ReadPersistentVolumeAsync(pvName)), "the provisioned volume");
            Assert.Contains($"CreateVolume {pvName} {64 * 1024 * 1024}", driver.Calls);
            Assert.Equal(Driver, pv.Spec.Csi.Driver);
            Assert.Equal(pvName, pv.Spec.Csi.VolumeHandle);
            Assert.Equal("ext4", pv.Spec.Csi.FsType);
            Assert.Equal("fast", pv.Spec.Csi.VolumeAttributes["tier"]);
            Assert.Equal(Driver, pv.Metadata.Annotations["pv.kubernetes.io/provisioned-by"]);
            Assert.Equal(claim.Metadata.Uid, pv.Spec.ClaimRef.Uid);
            Assert.Equal("Delete", pv.Spec.PersistentVolumeReclaimPolicy);
            Assert.True(Directory.Exists(Path.Combine(driver.VolumesDir, pvName)));

            // The class's csi.storage.k8s.io/ parameters are the provisioner's: secrets resolved, never sent to the driver.
            Assert.Equal(["tier"], driver.LastCreate!.Parameters.Keys);
            Assert.Equal("provisioner", driver.LastCreate.Secrets["k"]);
            Assert.Equal("prov-dyn", pv.Metadata.Annotations["volume.kubernetes.io/provisioner-deletion-secret-name"]);
            Assert.Equal(Ns, pv.Metadata.Annotations["volume.kubernetes.io/provisioner-deletion-secret-namespace"]);
            Assert.Equal(("publish-creds", Ns), (pv.Spec.Csi.ControllerPublishSecretRef.Name, pv.Spec.Csi.ControllerPublishSecretRef.NamespaceProperty));
            Assert.Equal((pvName, Ns), (pv.Spec.Csi.NodeExpandSecretRef.Name, pv.Spec.Csi.NodeExpandSecretRef.NamespaceProperty));
            Assert.Null(pv.Spec.Csi.NodeStageSecretRef);
            await BindAsync(client, claim, pv);

            // Without its attachment the pod waits; the attach-detach controller's VolumeAttachment is attached by the sidecar.
            V1Pod writer = await client.CoreV1.CreateNamespacedPodAsync(Pod(node, "writer", "echo provisioned > /data/f", "dyn"), Ns);
            Corev1Event waiting = await KubeletNode.WaitAsync(async () => (await client.CoreV1.ListNamespacedEventAsync(Ns)).Items.FirstOrDefault(e => e.InvolvedObject.Name == "writer" && e.Reason == "FailedMount"), "FailedMount while not attached");
            Assert.Contains("not found yet", waiting.Message, StringComparison.Ordinal);
            string attachmentName = CsiVolumes.AttachmentName(pvName, Driver, node.Options.NodeName);
            await client.StorageV1.CreateVolumeAttachmentAsync(new V1VolumeAttachment
            {
                Metadata = new V1ObjectMeta { Name = attachmentName },
                Spec = new V1VolumeAttachmentSpec { Attacher = Driver, NodeName = node.Options.NodeName, Source = new V1VolumeAttachmentSource { PersistentVolumeName = pvName } },
            });
            V1VolumeAttachment attached = await KubeletNode.WaitAsync(async () => await client.StorageV1.ReadVolumeAttachmentAsync(attachmentName) is { Status.Attached: true } a ? a : null, "attached");
            Assert.Equal("id-" + node.Options.NodeName, attached.Status.AttachmentMetadata["attached-to"]);
            Assert.Contains($"external-attacher/{Driver}", attached.Metadata.Finalizers);
            Assert.Equal("publisher", driver.LastControllerPublish!.Secrets["k"]);
            await TestPods.WaitPhaseAsync(client, "writer", "Succeeded");
            Assert.Equal("provisioned\n", File.ReadAllText(Path.Combine(driver.VolumesDir, pvName, "f")));
            Assert.Equal("id-" + node.Options.NodeName, driver.LastStage!.PublishContext["attached-to"]);
            Assert.Equal("ext4", driver.LastPublish!.VolumeCapability.Mount.FsType);

            // Teardown: unpublish and unstage on the node, then (the attach-detach controller deletes the attachment) ControllerUnpublish.
            await TestPods.DeleteAndWaitGoneAsync(client, "writer", gracePeriodSeconds: 1);
            Assert.Contains(driver.Calls, c => c.StartsWith($"NodeUnpublishVolume {pvName}", StringComparison.Ordinal));
            Assert.Contains(driver.Calls, c => c.StartsWith($"NodeUnstageVolume {pvName}", StringComparison.Ordinal));
            await client.StorageV1.DeleteVolumeAttachmentAsync(attachmentName);
            await KubeletNode.WaitAsync(async () => (await client.StorageV1.ListVolumeAttachmentAsync()).Items.Count == 0 ? "gone" : null, "the attachment detached and gone");
            Assert.Contains($"ControllerUnpublishVolume {pvName} id-{node.Options.NodeName}", driver.Calls);

            // Delete reclaim: the claim goes, the volume is Released (the PersistentVolume controller's part), DeleteVolume.
            await client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync("dyn", Ns);
            pv = await client.CoreV1.ReadPersistentVolumeAsync(pvName);
            pv.Status = new V1PersistentVolumeStatus { Phase = "Released" };
            await client.CoreV1.ReplacePersistentVolumeStatusAsync(pv, pvName);
            await KubeletNode.WaitAsync(async () => await Absent.OrNullAsync(() => client.CoreV1.ReadPersistentVolumeAsync(pvName)) is not { Metadata.DeletionTimestamp: null } ? "gone" : null, "the released volume deleted");
            Assert.Contains($"DeleteVolume {pvName}", driver.Calls);
            Assert.Equal("provisioner", driver.LastDelete!.Secrets["k"]);
            Assert.False(Directory.Exists(Path.Combine(driver.VolumesDir, pvName)));
        }
        finally
        {
            await stop.CancelAsync();
            await sidecars;
        }
    }

    private static async Task BindAsync(Kubernetes client, V1PersistentVolumeClaim claim, V1PersistentVolume pv)
    {
        claim = await client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(claim.Metadata.Name, Ns);
        claim.Spec.VolumeName = pv.Metadata.Name;
        claim = await client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(claim, claim.Metadata.Name, Ns);
        claim.Status = new V1PersistentVolumeClaimStatus { Phase = "Bound", AccessModes = pv.Spec.AccessModes, Capacity = pv.Spec.Capacity };
        await client.CoreV1.ReplaceNamespacedPersistentVolumeClaimStatusAsync(claim, claim.Metadata.Name, Ns);
        pv = await client.CoreV1.ReadPersistentVolumeAsync(pv.Metadata.Name);
        pv.Status = new V1PersistentVolumeStatus { Phase = "Bound" };
        await client.CoreV1.ReplacePersistentVolumeStatusAsync(pv, pv.Metadata.Name);
    }

    private static async Task CreateBoundVolumeAsync(Kubernetes client, string pvName, string claimName, V1CSIPersistentVolumeSource source)
    {
        var capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") };
        V1PersistentVolumeClaim claim = await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(new V1PersistentVolumeClaim
        {
            Metadata = new V1ObjectMeta { Name = claimName },
            Spec = new V1PersistentVolumeClaimSpec { AccessModes = ["ReadWriteOnce"], StorageClassName = "", VolumeName = pvName, Resources = new V1VolumeResourceRequirements { Requests = capacity } },
        }, Ns);
        await client.CoreV1.CreatePersistentVolumeAsync(new V1PersistentVolume
        {
            Metadata = new V1ObjectMeta { Name = pvName },
            Spec = new V1PersistentVolumeSpec
            {
                AccessModes = ["ReadWriteOnce"],
                Capacity = capacity,
                Csi = source,
                StorageClassName = "",
                ClaimRef = new V1ObjectReference { Kind = "PersistentVolumeClaim", NamespaceProperty = Ns, Name = claimName, Uid = claim.Metadata.Uid },
            },
        });

        // What the PersistentVolume controller does on binding (no controller manager runs here).
        claim.Status = new V1PersistentVolumeClaimStatus { Phase = "Bound", AccessModes = ["ReadWriteOnce"], Capacity = capacity };
        await client.CoreV1.ReplaceNamespacedPersistentVolumeClaimStatusAsync(claim, claimName, Ns);
        V1PersistentVolume pv = await client.CoreV1.ReadPersistentVolumeAsync(pvName);
        pv.Status = new V1PersistentVolumeStatus { Phase = "Bound" };
        await client.CoreV1.ReplacePersistentVolumeStatusAsync(pv, pvName);
    }

    private static V1Pod Pod(KubeletNode node, string name, string script, string claim) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Ns },
        Spec = new V1PodSpec
        {
            NodeName = node.Options.NodeName,
            RestartPolicy = "Never",
            TerminationGracePeriodSeconds = 1,
            Containers = [new V1Container { Name = "main", Image = "busybox:1.35", Command = ["sh", "-c", script], VolumeMounts = [new V1VolumeMount { Name = "data", MountPath = "/data" }] }],
            Volumes = [new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim } }],
        },
    };
}
