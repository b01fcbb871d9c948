using k8s;
using k8s.Models;
using Navarch.Client.Informers;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.VolumeBinding;
using static Navarch.Scheduler.Tests.Fixtures;
using static Navarch.Scheduler.Tests.VolumeFixtures;

namespace Navarch.Scheduler.Tests;

/// <summary>
/// NodeVolumeLimits, CSIStorageCapacity in VolumeBinding and VolumeBinding's assume cache against a real API server
/// and scheduler: a node takes no more CSI volumes of a driver than its CSINode allows (a volume shared with a pod there
/// costs nothing); a driver with storageCapacity provisions only where a capacity of the class has room; a cycle run
/// before the previous one's writes are seen neither takes the same static volume nor provisions a claim on another node.
/// The PersistentVolume controller's part (binding) is done by hand here.
/// </summary>
[Trait("Category", "Integration")]
public sealed class VolumeLimitsAndCapacityIntegrationTests : SchedulerCluster
{
    private const string Driver = "csi.example.com";
    private const string Zone = "topology.kubernetes.io/zone";

    [Fact]
    public async Task A_node_takes_no_more_CSI_volumes_than_its_CSINode_allows()
    {
        await CreateNodeAsync(Node("n1", labels: Labels($"{Hostname}=n1")));
        await Client.StorageV1.CreateCSINodeAsync(new V1CSINode
        {
            Metadata = new V1ObjectMeta { Name = "n1" },
            Spec = new V1CSINodeSpec { Drivers = [new V1CSINodeDriver { Name = Driver, NodeID = "n1", Allocatable = new V1VolumeNodeResources { Count = 2 } }] },
        });
        foreach (string name in new[] { "c1", "c2", "c3" })
        {
            await CreateBoundCsiAsync(name);
        }

        await CreatePodAsync(WithClaims(Pod("two"), "c1", "c2"));
        Assert.Equal("n1", (await WaitBoundAsync("two")).Spec.NodeName);

        // c1 is on the node already: sharing it adds no volume.
        await CreatePodAsync(WithClaims(Pod("shares"), "c1"));
        Assert.Equal("n1", (await WaitBoundAsync("shares")).Spec.NodeName);

        await CreatePodAsync(WithClaims(Pod("third"), "c3"));
        await WaitUnschedulableAsync(Client, "third", "0/1 nodes are available: 1 node(s) exceed max volume count.");

        // The limit raised: the pod fits.
        V1CSINode csiNode = await Client.StorageV1.ReadCSINodeAsync("n1");
        csiNode.Spec.Drivers[0].Allocatable.Count = 3;
        await Client.StorageV1.ReplaceCSINodeAsync(csiNode, "n1");
        Assert.Equal("n1", (await WaitBoundAsync("third")).Spec.NodeName);
    }

    [Fact]
    public async Task A_driver_with_storage_capacity_provisions_only_where_a_capacity_has_room()
    {
        await CreateNodeAsync(Node("a1", labels: Labels($"{Hostname}=a1", $"{Zone}=a")));
        await CreateNodeAsync(Node("b1", labels: Labels($"{Hostname}=b1", $"{Zone}=b")));
        await Client.StorageV1.CreateCSIDriverAsync(new V1CSIDriver { Metadata = new V1ObjectMeta { Name = Driver }, Spec = new V1CSIDriverSpec { StorageCapacity = true } });
        await Client.StorageV1.CreateStorageClassAsync(new V1StorageClass { Metadata = new V1ObjectMeta { Name = "capacity" }, Provisioner = Driver, VolumeBindingMode = "WaitForFirstConsumer" });
        await Client.StorageV1.CreateNamespacedCSIStorageCapacityAsync(
            new V1CSIStorageCapacity
            {
                Metadata = new V1ObjectMeta { Name = "zone-a" },
                StorageClassName = "capacity",
                NodeTopology = new V1LabelSelector { MatchLabels = Labels($"{Zone}=a") },
                Capacity = new ResourceQuantity("1Gi"),
            },
            "default");

        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("fits", "capacity", "500Mi"), "default");
        await CreatePodAsync(WithClaim(Pod("fits"), "fits"));
        await Eventually(
            async () => (await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("fits", "default")).Metadata.Annotations?.TryGetValue("volume.kubernetes.io/selected-node", out string? n) == true && n == "a1",
            "the claim provisioned in the zone with capacity");

        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("too-big", "capacity", "2Gi"), "default");
        await CreatePodAsync(WithClaim(Pod("too-big"), "too-big"));
        await WaitUnschedulableAsync(Client, "too-big", "0/2 nodes are available: 2 node(s) did not have enough free storage.");
    }

    [Fact]
    public async Task Reserve_assumes_its_choices_so_the_next_cycle_takes_another_volume_and_the_claims_node()
    {
        // The plugin over real informers, cycles run by hand: nothing is written to the API between them, as when the
        // next pod's cycle runs before the first one's PreBind writes come back through the watch.
        await Client.StorageV1.CreateStorageClassAsync(new V1StorageClass { Metadata = new V1ObjectMeta { Name = "static" }, Provisioner = "kubernetes.io/no-provisioner", VolumeBindingMode = "WaitForFirstConsumer" });
        await Client.StorageV1.CreateStorageClassAsync(new V1StorageClass { Metadata = new V1ObjectMeta { Name = "local" }, Provisioner = "navarch.io/local-path", VolumeBindingMode = "WaitForFirstConsumer" });
        await CreateAvailableAsync(Client, Volume("s1", "static", "n1", null));
        await CreateAvailableAsync(Client, Volume("s2", "static", "n1", null));
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("first", "static"), "default");
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("second", "static"), "default");
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("shared", "local"), "default");
        var claims = new Informer<V1PersistentVolumeClaim>(Client);
        var volumes = new Informer<V1PersistentVolume>(Client);
        var classes = new Informer<V1StorageClass>(Client);
        _ = claims.RunAsync(Stopping);
        _ = volumes.RunAsync(Stopping);
        _ = classes.RunAsync(Stopping);
        await Task.WhenAll(claims.WaitForSyncAsync(), volumes.WaitForSyncAsync(), classes.WaitForSyncAsync());
        var plugin = new VolumeBindingPlugin(new FrameworkHandle
        {
            Client = Client,
            Volumes = new VolumeObjects(claims.Store, volumes.Store, classes.Store),
        });
        var n1 = new NodeInfo(Node("n1", labels: Labels($"{Hostname}=n1")));
        var n2 = new NodeInfo(Node("n2", labels: Labels($"{Hostname}=n2")));

        (CycleState first, string firstVolume) = Cycle(plugin, WithClaim(Pod("first"), "first"), n1);
        Assert.True(plugin.Reserve(first, WithClaim(Pod("first"), "first"), "n1").IsSuccess);
        (_, string secondVolume) = Cycle(plugin, WithClaim(Pod("second"), "second"), n1);
        Assert.NotEqual(firstVolume, secondVolume);

        // Unreserve gives the volume back.
        plugin.Unreserve(first, WithClaim(Pod("first"), "first"), "n1");
        Assert.Equal(firstVolume, Cycle(plugin, WithClaim(Pod("second"), "second"), n1).Volume);

        // A claim being provisioned for one pod's node is provisioned there for the next pod too.
        V1Pod sharedA = WithClaim(Pod("shared-a"), "shared");
        CycleState a = new();
        Assert.True(plugin.PreFilter(a, sharedA, [n1, n2]).IsSuccess);
        Assert.True(plugin.Filter(a, sharedA, n2).IsSuccess);
        Assert.True(plugin.Reserve(a, sharedA, "n2").IsSuccess);
        V1Pod sharedB = WithClaim(Pod("shared-b"), "shared");
        CycleState b = new();
        Assert.True(plugin.PreFilter(b, sharedB, [n1, n2]).IsSuccess);
        Assert.Equal(VolumeBindingPlugin.BindConflict, plugin.Filter(b, sharedB, n1).Message);
        Assert.True(plugin.Filter(b, sharedB, n2).IsSuccess);

        // A newer version from the informer replaces what was assumed.
        Assert.True(plugin.Reserve(first, WithClaim(Pod("first"), "first"), "n1").IsSuccess);
        V1PersistentVolume changed = await Client.CoreV1.ReadPersistentVolumeAsync(firstVolume);
        changed.Metadata.Labels = Labels("touched=yes");
        changed = await Client.CoreV1.ReplacePersistentVolumeAsync(changed, firstVolume);
        await Eventually(() => Task.FromResult(volumes.Store.Get(firstVolume)?.Metadata.ResourceVersion == changed.Metadata.ResourceVersion), "the informer has the new version");
        Assert.Equal(firstVolume, Cycle(plugin, WithClaim(Pod("second"), "second"), n1).Volume);
    }

    /// <summary>PreFilter and Filter of one pod on one node: its cycle state and the volume chosen for its claim.</summary>
    private static (CycleState State, string Volume) Cycle(VolumeBindingPlugin plugin, V1Pod pod, NodeInfo node)
    {
        var state = new CycleState();
        Assert.True(plugin.PreFilter(state, pod, [node]).IsSuccess);
        Status filtered = plugin.Filter(state, pod, node);
        Assert.True(filtered.IsSuccess, filtered.Message);
        PodVolumeDecision decision = state.Read<VolumeBindingState>("PreFilterVolumeBinding")!.Decisions[node.Name];
        return (state, decision.StaticBindings.Single().Volume.Metadata.Name);
    }

    /// <summary>A claim of class csi bound to a PersistentVolume of the CSI driver with handle "handle-NAME".</summary>
    private async Task CreateBoundCsiAsync(string name)
    {
        V1PersistentVolumeClaim claim = await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim(name, "csi"), "default");
        V1PersistentVolume volume = Volume("pv-" + name, "csi", "n1", claim);
        volume.Spec.Local = null;
        volume.Spec.Csi = new V1CSIPersistentVolumeSource { Driver = Driver, VolumeHandle = "handle-" + name };
        volume = await Client.CoreV1.CreatePersistentVolumeAsync(volume);
        await BindAsync(Client, claim, volume);
    }

    private static V1Pod WithClaims(V1Pod pod, params string[] claims)
    {
        pod.Metadata.Uid = null;
        pod.Spec.Volumes = [.. claims.Select(c => new V1Volume { Name = c, PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = c } })];
        return pod;
    }
}
