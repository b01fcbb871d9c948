using k8s;
using k8s.Models;
using static Navarch.Scheduler.Tests.Fixtures;
using static Navarch.Scheduler.Tests.VolumeFixtures;

namespace Navarch.Scheduler.Tests;

/// <summary>
/// VolumeZone against a real API server: a bound volume's zone label (GA or beta, one zone or several joined by "__")
/// holds the pod to nodes of that zone, a node without zone labels takes it, and a claim bound to a missing volume is
/// refused with Kubernetes' message.
/// </summary>
[Trait("Category", "Integration")]
public sealed class VolumeZoneIntegrationTests : SchedulerCluster
{
    private const string Zone = "topology.kubernetes.io/zone";
    private const string BetaZone = "failure-domain.beta.kubernetes.io/zone";

    [Fact]
    public async Task A_zoned_volume_holds_the_pod_to_its_zone()
    {
        await CreateNodeAsync(Node("a1", labels: Labels($"{Zone}=a")));
        await CreateNodeAsync(Node("b1", labels: Labels($"{Zone}=b")));
        await CreateNodeAsync(Node("c1", labels: Labels($"{Zone}=c")));

        await CreateZonedAsync("in-b", Zone, "b");
        await CreatePodAsync(WithClaim(Pod("in-b"), "in-b"));
        Assert.Equal("b1", (await WaitBoundAsync("in-b")).Spec.NodeName);

        // A beta label on the volume matches the node's GA label; several zones joined by "__".
        await CreateZonedAsync("in-a-or-c", BetaZone, "a__c");
        var placed = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 4; i++)
        {
            await CreatePodAsync(WithClaim(Pod($"ac{i}"), "in-a-or-c"));
            placed.Add((await WaitBoundAsync($"ac{i}")).Spec.NodeName);
        }

        Assert.Subset(new HashSet<string>(["a1", "c1"], StringComparer.Ordinal), placed);

        await CreateZonedAsync("in-d", Zone, "d");
        await CreatePodAsync(WithClaim(Pod("in-d"), "in-d"));
        await VolumeFixtures.WaitUnschedulableAsync(Client, "in-d", "0/3 nodes are available: 3 node(s) had no available volume zone.");

        // A node with no zone labels at all takes any volume (a single-zone cluster).
        await CreateNodeAsync(Node("plain"));
        Assert.Equal("plain", (await WaitBoundAsync("in-d")).Spec.NodeName);
    }

    [Fact]
    public async Task A_claim_bound_to_a_missing_volume_is_refused_with_Kubernetes_message()
    {
        await CreateNodeAsync(Node("a1", labels: Labels($"{Zone}=a")));

        // Bound to a volume that does not exist (VolumeBinding lets it through PreFilter; VolumeZone does not).
        V1PersistentVolumeClaim ghost = await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("ghost", "manual"), "default");
        ghost.Spec.VolumeName = "pv-ghost";
        await Client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(ghost, "ghost", "default");
        await CreatePodAsync(WithClaim(Pod("ghost"), "ghost"));
        await VolumeFixtures.WaitUnschedulableAsync(Client, "ghost", "persistentvolume \"pv-ghost\" not found");
    }

    private async Task CreateZonedAsync(string name, string label, string zones)
    {
        V1PersistentVolumeClaim claim = await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim(name, "manual"), "default");
        V1PersistentVolume volume = await Client.CoreV1.CreatePersistentVolumeAsync(new V1PersistentVolume
        {
            Metadata = new V1ObjectMeta { Name = "pv-" + name, Labels = new Dictionary<string, string> { [label] = zones } },
            Spec = new V1PersistentVolumeSpec
            {
                StorageClassName = "manual",
                AccessModes = ["ReadWriteOnce"],
                Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") },
                HostPath = new V1HostPathVolumeSource { Path = "/mnt/" + name },
                ClaimRef = new V1ObjectReference { ApiVersion = "v1", Kind = "PersistentVolumeClaim", NamespaceProperty = "default", Name = name, Uid = claim.Metadata.Uid },
            },
        });
        await BindAsync(Client, claim, volume);
    }
}
