using k8s;
using k8s.Models;
using Navarch.Kubelet.Csi.V1;

namespace Navarch.Kubelet.Tests.Csi;

/// <summary>
/// Volume expansion over CSI on a real kubelet, containerd and API server with the tests' CSI driver: a bound claim
/// grown on a class with allowVolumeExpansion gets ControllerExpandVolume (with the PV's controllerExpandSecretRef) and
/// the FileSystemResizePending condition while no pod uses it; once a pod mounts it, NodeExpandVolume (target and
/// staging paths, nodeExpandSecretRef) finishes it: status.capacity grown, the resize status and conditions gone, the
/// kubelet's events on the pod and the claim. A driver that needs no node expansion is done after the controller's call.
/// </summary>
[Trait("Category", "Node")]
public sealed class CsiExpansionTests(ITestOutputHelper output)
{
    private const string Ns = "default";
    private const string Driver = "grow.csi.navarch.test";
    private const long Gi = 1024L * 1024 * 1024;

    [Fact]
    public async Task A_grown_claim_is_expanded_by_the_controller_then_on_the_node_where_a_pod_mounts_it()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        Kubernetes client = node.Client;
        using var stop = new CancellationTokenSource();
        Task sidecars = node.Kubelet.RunCsiSidecarsAsync(client, stop.Token);
        try
        {
            await using TestCsiDriver driver = await TestCsiDriver.StartAsync(Driver, Path.Combine(node.Options.AgentDir, "plugins_registry"), (n, d, r, a) => new TestCsiDriver(n, d, r, a) { NodeId = node.Options.NodeName, ControllerExpand = true, NodeExpand = true });
            await driver.WaitRegisteredAsync(client, node.Options.NodeName);
            await client.StorageV1.CreateCSIDriverAsync(new V1CSIDriver { Metadata = new V1ObjectMeta { Name = Driver }, Spec = new V1CSIDriverSpec { AttachRequired = false } });
            await client.StorageV1.CreateStorageClassAsync(new V1StorageClass { Metadata = new V1ObjectMeta { Name = "growing" }, Provisioner = Driver, AllowVolumeExpansion = true });
            await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "expand-controller" }, StringData = new Dictionary<string, string> { ["who"] = "controller" } }, Ns);
            await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "expand-node" }, StringData = new Dictionary<string, string> { ["who"] = "node" } }, Ns);
            Directory.CreateDirectory(Path.Combine(driver.VolumesDir, "vol-g"));
            await CreateBoundVolumeAsync(client, new V1CSIPersistentVolumeSource
            {
                Driver = Driver,
                VolumeHandle = "vol-g",
                FsType = "ext4",
                ControllerExpandSecretRef = new V1SecretReference { Name = "expand-controller", NamespaceProperty = Ns },
                NodeExpandSecretRef = new V1SecretReference { Name = "expand-node", NamespaceProperty = Ns },
            });

            // The controller's part while no pod uses the volume: the node's part waits for one.
            await GrowAsync(client, "2Gi");
            V1PersistentVolumeClaim pending = await KubeletNode.WaitAsync(async () => await ReadClaimAsync(client) is { Status.Conditions: { } c } claim && c.Any(x => x.Type == "FileSystemResizePending") ? claim : null, "FileSystemResizePending");
            Assert.Equal("Waiting for user to (re-)start a pod to finish file system resize of volume on node.", pending.Status.Conditions.Single().Message);
            Assert.Equal("NodeResizePending", pending.Status.AllocatedResourceStatuses["storage"]);
            Assert.Equal(new ResourceQuantity("2Gi"), pending.Status.AllocatedResources["storage"]);
            Assert.Equal(new ResourceQuantity("1Gi"), pending.Status.Capacity["storage"]);
            Assert.Contains($"ControllerExpandVolume vol-g {2 * Gi}", driver.Calls);
            Assert.Equal("controller", driver.LastControllerExpand!.Secrets["who"]);
            Assert.Equal("ext4", driver.LastControllerExpand.VolumeCapability.Mount.FsType);
            Assert.Equal(2 * Gi, (long)(await client.CoreV1.ReadPersistentVolumeAsync("pv-grow")).Spec.Capacity["storage"].ToDecimal());
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.DoesNotContain(driver.Calls, c => c.StartsWith("NodeExpandVolume", StringComparison.Ordinal));

            // A pod mounts it: the kubelet's NodeExpandVolume finishes the resize.
            V1Pod user = await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = "user", NamespaceProperty = Ns },
                Spec = new V1PodSpec
                {
                    NodeName = node.Options.NodeName,
                    TerminationGracePeriodSeconds = 1,
                    Containers = [new V1Container { Name = "main", Image = "busybox:1.35", Command = ["sleep", "3600"], VolumeMounts = [new V1VolumeMount { Name = "data", MountPath = "/data" }] }],
                    Volumes = [new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "grow" } }],
                },
            }, Ns);
            V1PersistentVolumeClaim done = await KubeletNode.WaitAsync(async () => await ReadClaimAsync(client) is { Status.Capacity: { } c } claim && c["storage"].ToDecimal() == 2 * Gi ? claim : null, "status.capacity 2Gi");
            Assert.Null(done.Status.Conditions);
            Assert.Null(done.Status.AllocatedResourceStatuses);
            NodeExpandVolumeRequest nodeExpand = driver.LastNodeExpand!;
            Assert.Equal("vol-g", nodeExpand.VolumeId);
            Assert.Equal(Path.Combine(node.Options.AgentDir, "pods", user.Metadata.Uid, "volumes", "kubernetes.io~csi", "pv-grow", "mount"), nodeExpand.VolumePath);
            Assert.Equal(driver.LastStage!.StagingTargetPath, nodeExpand.StagingTargetPath);
            Assert.Equal(2 * Gi, nodeExpand.CapacityRange.RequiredBytes);
            Assert.Equal("node", nodeExpand.Secrets["who"]);
            string succeeded = $"MountVolume.NodeExpandVolume succeeded for volume \"pv-grow\" {node.Options.NodeName}";
            await KubeletNode.WaitAsync(async () => (await client.CoreV1.ListNamespacedEventAsync(Ns)).Items.Count(e => e.Reason == "FileSystemResizeSuccessful" && e.Message == succeeded) == 2 ? "both" : null, "FileSystemResizeSuccessful on the pod and the claim");
            IList<Corev1Event> events = (await client.CoreV1.ListNamespacedEventAsync(Ns, fieldSelector: "involvedObject.name=grow")).Items;
            Assert.Contains(events, e => e.Reason == "Resizing" && e.Message == "External resizer is resizing volume pv-grow" && e.Source?.Component == "external-resizer " + Driver);
            Assert.Contains(events, e => e.Reason == "FileSystemResizeRequired" && e.Message == "Require file system resize of volume on node");

            // A driver that needs no node expansion: done after ControllerExpandVolume, with the pod still running.
            driver.NodeExpansionRequired = false;
            await GrowAsync(client, "3Gi");
            done = await KubeletNode.WaitAsync(async () => await ReadClaimAsync(client) is { Status.Capacity: { } c } claim && c["storage"].ToDecimal() == 3 * Gi ? claim : null, "status.capacity 3Gi");
            Assert.Null(done.Status.Conditions);
            Assert.Contains($"ControllerExpandVolume vol-g {3 * Gi}", driver.Calls);
            Assert.DoesNotContain(driver.Calls, c => c.StartsWith("NodeExpandVolume", StringComparison.Ordinal) && c.EndsWith($" {3 * Gi}", StringComparison.Ordinal));
            await KubeletNode.WaitAsync(async () => (await client.CoreV1.ListNamespacedEventAsync(Ns, fieldSelector: "involvedObject.name=grow")).Items.FirstOrDefault(e => e.Reason == "VolumeResizeSuccessful" && e.Message == "Resize volume succeeded"), "VolumeResizeSuccessful");

            await client.CoreV1.DeleteNamespacedPodAsync("user", Ns, new V1DeleteOptions { GracePeriodSeconds = 1 });
            await KubeletNode.WaitAsync(() => Task.FromResult(driver.Calls.Any(c => c.StartsWith("NodeUnstageVolume vol-g", StringComparison.Ordinal)) ? "unstaged" : null), "the volume torn down");
        }
        finally
        {
            await stop.CancelAsync();
            await sidecars;
        }
    }

    private static Task<V1PersistentVolumeClaim> ReadClaimAsync(Kubernetes client) => client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("grow", Ns);

    private static async Task GrowAsync(Kubernetes client, string size)
    {
        V1PersistentVolumeClaim claim = await ReadClaimAsync(client);
        claim.Spec.Resources.Requests["storage"] = new ResourceQuantity(size);
        await client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(claim, "grow", Ns);
    }

    /// <summary>A 1Gi PersistentVolume pv-grow of class "growing" and the claim grow bound to it, as the PersistentVolume controller binds them.</summary>
    private static async Task CreateBoundVolumeAsync(Kubernetes client, V1CSIPersistentVolumeSource source)
    {
        var capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") };
        V1PersistentVolumeClaim claim = await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(new V1PersistentVolumeClaim
        {
            Metadata = new V1ObjectMeta { Name = "grow" },
            Spec = new V1PersistentVolumeClaimSpec { AccessModes = ["ReadWriteOnce"], StorageClassName = "growing", VolumeName = "pv-grow", Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity>(capacity) } },
        }, Ns);
        await client.CoreV1.CreatePersistentVolumeAsync(new V1PersistentVolume
        {
            Metadata = new V1ObjectMeta { Name = "pv-grow" },
            Spec = new V1PersistentVolumeSpec
            {
                AccessModes = ["ReadWriteOnce"],
                Capacity = capacity,
                Csi = source,
                StorageClassName = "growing",
                ClaimRef = new V1ObjectReference { Kind = "PersistentVolumeClaim", NamespaceProperty = Ns, Name = "grow", Uid = claim.Metadata.Uid },
            },
        });
        claim.Status = new V1PersistentVolumeClaimStatus { Phase = "Bound", AccessModes = ["ReadWriteOnce"], Capacity = capacity };
        await client.CoreV1.ReplaceNamespacedPersistentVolumeClaimStatusAsync(claim, "grow", Ns);
        V1PersistentVolume pv = await client.CoreV1.ReadPersistentVolumeAsync("pv-grow");
        pv.Status = new V1PersistentVolumeStatus { Phase = "Bound" };
        await client.CoreV1.ReplacePersistentVolumeStatusAsync(pv, "pv-grow");
    }
}
