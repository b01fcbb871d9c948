using k8s;
using k8s.Models;
using static Navarch.Scheduler.Tests.Fixtures;
using static Navarch.Scheduler.Tests.VolumeFixtures;

namespace Navarch.Scheduler.Tests;

/// <summary>
/// VolumeRestrictions against a real API server: a ReadWriteOncePod claim a scheduled pod uses refuses every node to
/// a second pod (Kubernetes' reason) until the first goes, and a higher-priority pod preempts its user; the same EBS
/// volume is refused on the node where another pod mounts it.
/// </summary>
[Trait("Category", "Integration")]
public sealed class VolumeRestrictionsIntegrationTests : SchedulerCluster
{
    private const string Conflict = "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode";

    [Fact]
    public async Task A_ReadWriteOncePod_claim_in_use_refuses_a_second_pod_until_the_first_goes_or_is_preempted()
    {
        await CreateNodeAsync(Node("n1"));
        await CreateNodeAsync(Node("n2"));
        V1PersistentVolumeClaim claim = Claim("solo", "manual");
        claim.Spec.AccessModes = ["ReadWriteOncePod"];
        claim = await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(claim, "default");
        V1PersistentVolume volume = await Client.CoreV1.CreatePersistentVolumeAsync(new V1PersistentVolume
        {
            Metadata = new V1ObjectMeta { Name = "pv-solo" },
            Spec = new V1PersistentVolumeSpec
            {
                StorageClassName = "manual",
                AccessModes = ["ReadWriteOncePod"],
                Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") },
                HostPath = new V1HostPathVolumeSource { Path = "/mnt/solo" },
                ClaimRef = new V1ObjectReference { ApiVersion = "v1", Kind = "PersistentVolumeClaim", NamespaceProperty = "default", Name = "solo", Uid = claim.Metadata.Uid },
            },
        });
        await BindAsync(Client, claim, volume);

        await CreatePodAsync(WithClaim(Pod("first"), "solo"));
        await WaitBoundAsync("first");
        await CreatePodAsync(WithClaim(Pod("second"), "solo"));
        await WaitUnschedulableAsync(Client, "second", $"0/2 nodes are available: 2 {Conflict}.");

        // The user goes: the claim is free again.
        await Client.CoreV1.DeleteNamespacedPodAsync("first", "default", gracePeriodSeconds: 0);
        await WaitBoundAsync("second");

        // A higher-priority pod preempts the pod that holds the claim (removing it in the what-if frees the claim).
        await Client.SchedulingV1.CreatePriorityClassAsync(new V1PriorityClass { Metadata = new V1ObjectMeta { Name = "high" }, Value = 1000 });
        V1Pod high = WithClaim(Pod("high"), "solo");
        high.Spec.PriorityClassName = "high";
        await CreatePodAsync(high);
        await Eventually(async () => (await Client.CoreV1.ReadNamespacedPodAsync("second", "default")).Metadata.DeletionTimestamp is not null, "the claim's user preempted");
        await Client.CoreV1.DeleteNamespacedPodAsync("second", "default", gracePeriodSeconds: 0);
        await WaitBoundAsync("high");
    }

    [Fact]
    public async Task The_same_EBS_volume_is_refused_on_the_node_that_mounts_it()
    {
        await CreateNodeAsync(Node("n1", labels: Labels("disk=yes")));
        await CreateNodeAsync(Node("n2"));
        await CreatePodAsync(WithEbs(Pod("a"), "vol-1"));
        Assert.Equal("n1", (await WaitBoundAsync("a")).Spec.NodeName);
        await CreatePodAsync(WithEbs(Pod("b"), "vol-1"));
        await WaitUnschedulableAsync(Client, "b", "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had no available disk.");

        // Another volume on the same node is fine.
        await CreatePodAsync(WithEbs(Pod("c"), "vol-2"));
        Assert.Equal("n1", (await WaitBoundAsync("c")).Spec.NodeName);
    }

    private static V1Pod WithEbs(V1Pod pod, string volumeId)
    {
        pod.Metadata.Uid = null;
        pod.Spec.NodeSelector = Labels("disk=yes");
        pod.Spec.Volumes = [new V1Volume { Name = "disk", AwsElasticBlockStore = new V1AWSElasticBlockStoreVolumeSource { VolumeID = volumeId } }];
        return pod;
    }
}
