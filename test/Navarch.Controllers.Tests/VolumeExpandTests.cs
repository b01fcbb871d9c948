using k8s;
using k8s.Models;
using Navarch.Controllers.VolumeExpand;
using static Navarch.Controllers.Tests.PersistentVolumeTests;

namespace Navarch.Controllers.Tests;

/// <summary>
/// Claim expansion on the control plane against a real API server: without a resizer for the volume's driver the claim
/// waits for an external one (ExternalExpanding); with one, status.allocatedResources, allocatedResourceStatuses and
/// conditions go through the external-resizer's states, the volume grows, and the node's part is left pending.
/// </summary>
[Trait("Category", "Integration")]
public sealed class VolumeExpandTests : ControllerCluster
{
    private const string Ns = "default";

    protected override ControllerManagerOptions Options => new()
    {
        PersistentVolumeSyncPeriod = TimeSpan.FromMilliseconds(300),
        VolumeResizers = [new GrowingResizer("node.csi.test", nodeExpansion: true), new GrowingResizer("online.csi.test", nodeExpansion: false), new GrowingResizer("broken.csi.test", nodeExpansion: false, fails: true)],
    };

    /// <summary>A driver's controller side that grows volumes (or refuses to), as a CSI plugin's ControllerExpandVolume would.</summary>
    private sealed class GrowingResizer(string driver, bool nodeExpansion, bool fails = false) : IVolumeResizer
    {
        public string DriverName => driver;

        public Task<VolumeResizeResult> ControllerExpandAsync(V1PersistentVolume volume, ResourceQuantity requested, CancellationToken cancellationToken) =>
            fails ? throw new InvalidOperationException("out of space in the pool") : Task.FromResult(new VolumeResizeResult(requested, nodeExpansion));
    }

    private async Task<V1PersistentVolumeClaim> BoundClaimOn(string driver)
    {
        string name = driver.Split('.')[0];
        await Client.StorageV1.CreateStorageClassAsync(new V1StorageClass { Metadata = new V1ObjectMeta { Name = name }, Provisioner = driver, AllowVolumeExpansion = true });
        V1PersistentVolume volume = Volume($"{name}-pv", "1Gi", storageClass: name);
        volume.Spec.HostPath = null;
        volume.Spec.Csi = new V1CSIPersistentVolumeSource { Driver = driver, VolumeHandle = name };
        await Client.CoreV1.CreatePersistentVolumeAsync(volume);
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim(name, "1Gi", storageClass: name), Ns);
        V1PersistentVolumeClaim claim = await Eventually(() => Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(name, Ns), c => c.Status?.Phase == "Bound", $"{name} is Bound");
        claim.Spec.Resources.Requests["storage"] = new ResourceQuantity("2Gi");
        return await Client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(claim, name, Ns);
    }

    private Task EventSeen(string name, string reason, string message) =>
        Eventually(async () => (await Client.CoreV1.ListNamespacedEventAsync(Ns, fieldSelector: $"involvedObject.name={name}")).Items.Any(e => e.Reason == reason && e.Message == message),
            $"event {reason} \"{message}\" on {name}");

    [Fact]
    public async Task A_claim_on_a_driver_without_a_resizer_waits_for_an_external_one()
    {
        await BoundClaimOn("none.csi.test");
        await EventSeen("none", "ExternalExpanding", "waiting for an external controller to expand this PVC");
        V1PersistentVolumeClaim claim = await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("none", Ns);
        Assert.Equal("1Gi", claim.Status.Capacity["storage"].ToString());
        Assert.Null(claim.Status.AllocatedResources);
    }

    [Fact]
    public async Task A_resizer_needing_the_node_leaves_the_claim_NodeResizePending_with_FileSystemResizePending()
    {
        await BoundClaimOn("node.csi.test");
        V1PersistentVolumeClaim claim = await Eventually(() => Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("node", Ns),
            c => c.Status.AllocatedResourceStatuses is { } states && states.TryGetValue("storage", out string? state) && state == "NodeResizePending", "the claim waits for the node");
        Assert.Equal("2Gi", claim.Status.AllocatedResources["storage"].ToString());
        Assert.Equal("1Gi", claim.Status.Capacity["storage"].ToString());
        V1PersistentVolumeClaimCondition condition = Assert.Single(claim.Status.Conditions);
        Assert.Equal(("FileSystemResizePending", "True", "Waiting for user to (re-)start a pod to finish file system resize of volume on node."), (condition.Type, condition.Status, condition.Message));
        Assert.Equal("2Gi", (await Client.CoreV1.ReadPersistentVolumeAsync("node-pv")).Spec.Capacity["storage"].ToString());
        await EventSeen("node", "Resizing", "External resizer is resizing volume node-pv");
        await EventSeen("node", "FileSystemResizeRequired", "Require file system resize of volume on node");
    }

    [Fact]
    public async Task An_online_resize_finishes_on_the_control_plane_and_a_failed_one_says_why()
    {
        await BoundClaimOn("online.csi.test");
        V1PersistentVolumeClaim claim = await Eventually(() => Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("online", Ns),
            c => c.Status.Capacity["storage"].ToString() == "2Gi", "the claim has grown");
        Assert.Null(claim.Status.Conditions);
        Assert.Null(claim.Status.AllocatedResourceStatuses);
        Assert.Equal("2Gi", claim.Status.AllocatedResources["storage"].ToString());
        await EventSeen("online", "VolumeResizeSuccessful", "Resize volume succeeded");

        await BoundClaimOn("broken.csi.test");
        const string Message = "resize volume \"broken-pv\" by resizer \"broken.csi.test\" failed: out of space in the pool";
        await EventSeen("broken", "VolumeResizeFailed", Message);
        // Each retry (rate-limited, ever longer apart) starts InProgress again, as the external-resizer's do.
        V1PersistentVolumeClaim failed = await Eventually(() => Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("broken", Ns),
            c => c.Status.AllocatedResourceStatuses?["storage"] == "ControllerResizeFailed", "the claim's resize is marked failed");
        Assert.Equal(Message, Assert.Single(failed.Status.Conditions).Message);
        Assert.Equal("1Gi", failed.Status.Capacity["storage"].ToString());
    }
}
