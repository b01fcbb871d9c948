using k8s;
using k8s.Models;
using static Navarch.Scheduler.Tests.Fixtures;
using static Navarch.Scheduler.Tests.VolumeFixtures;

namespace Navarch.Scheduler.Tests;

/// <summary>
/// VolumeBinding against a real API server: bound claims hold a pod to their volume's node, unbound Immediate claims
/// and missing claims park it with Kubernetes' messages, WaitForFirstConsumer claims are provisioned on the chosen node
/// (selected-node) or bound to a fitting static volume there, and the pod is bound once its claims are.
/// The PersistentVolume controller's part (binding) is done by hand here.
/// </summary>
[Trait("Category", "Integration")]
public sealed class VolumeBindingIntegrationTests : SchedulerCluster
{
    private const string Zone = "topology.kubernetes.io/zone";

    [Fact]
    public async Task Bound_claims_hold_the_pod_to_their_volume_and_unbound_immediate_or_missing_claims_park_it()
    {
        await CreateNodeAsync(Node("n1", labels: Labels($"{Hostname}=n1")));
        await CreateNodeAsync(Node("n2", labels: Labels($"{Hostname}=n2")));
        await CreateBoundAsync("near", "n2");
        await CreateBoundAsync("far", "n3");
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("immediate", null), "default");

        await CreatePodAsync(WithClaim(Pod("near"), "near"));
        Assert.Equal("n2", (await WaitBoundAsync("near")).Spec.NodeName);

        await CreatePodAsync(WithClaim(Pod("far"), "far"));
        await WaitUnschedulableAsync("far", "0/2 nodes are available: 2 node(s) had volume node affinity conflict.");
        await CreatePodAsync(WithClaim(Pod("immediate"), "immediate"));
        await WaitUnschedulableAsync("immediate", "pod has unbound immediate PersistentVolumeClaims");
        await CreatePodAsync(WithClaim(Pod("missing"), "nope"));
        await WaitUnschedulableAsync("missing", "persistentvolumeclaim \"nope\" not found");
    }

    [Fact]
    public async Task WaitForFirstConsumer_claims_are_provisioned_or_bound_on_the_chosen_node()
    {
        await CreateNodeAsync(Node("a1", labels: Labels($"{Hostname}=a1", $"{Zone}=a")));
        await CreateNodeAsync(Node("b1", labels: Labels($"{Hostname}=b1", $"{Zone}=b")));
        await Client.StorageV1.CreateStorageClassAsync(new V1StorageClass { Metadata = new V1ObjectMeta { Name = "local" }, Provisioner = "navarch.io/local-path", VolumeBindingMode = "WaitForFirstConsumer" });
        await Client.StorageV1.CreateStorageClassAsync(new V1StorageClass { Metadata = new V1ObjectMeta { Name = "static" }, Provisioner = "kubernetes.io/no-provisioner", VolumeBindingMode = "WaitForFirstConsumer" });

        // Provisioning: the claim gets the node the pod fits; the pod binds once the claim is bound.
        V1PersistentVolumeClaim claim = await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("dyn", "local"), "default");
        V1Pod pod = WithClaim(Pod("dyn"), "dyn");
        pod.Spec.NodeSelector = Labels($"{Zone}=b");
        await CreatePodAsync(pod);
        await Eventually(
            async () => (await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("dyn", "default")).Metadata.Annotations?.TryGetValue("volume.kubernetes.io/selected-node", out string? n) == true && n == "b1",
            "selected-node set to b1");
        Assert.True(string.IsNullOrEmpty((await Client.CoreV1.ReadNamespacedPodAsync("dyn", "default")).Spec.NodeName), "the pod waits for its claim");
        V1PersistentVolume provisioned = await Client.CoreV1.CreatePersistentVolumeAsync(Volume("pvc-dyn", "local", "b1", claim));
        await BindAsync(Client, claim, provisioned);
        Assert.Equal("b1", (await WaitBoundAsync("dyn")).Spec.NodeName);

        // A static volume: the smallest that fits, on a node it can reach; the scheduler sets its claimRef.
        await CreateAvailableAsync(Client, Volume("small-a", "static", "a1", null, "1Gi"));
        await CreateAvailableAsync(Client, Volume("large-a", "static", "a1", null, "5Gi"));
        V1PersistentVolumeClaim staticClaim = await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("st", "static"), "default");
        await CreatePodAsync(WithClaim(Pod("st"), "st"));
        V1PersistentVolume chosen = null!;
        await Eventually(async () => (chosen = await Client.CoreV1.ReadPersistentVolumeAsync("small-a")).Spec.ClaimRef?.Uid == staticClaim.Metadata.Uid, "claimRef set on the smallest fitting volume");
        await BindAsync(Client, staticClaim, chosen);
        Assert.Equal("a1", (await WaitBoundAsync("st")).Spec.NodeName);

        // Nothing fits and nothing provisions: Kubernetes' reason.
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("huge", "static", "100Gi"), "default");
        await CreatePodAsync(WithClaim(Pod("huge"), "huge"));
        await WaitUnschedulableAsync("huge", "0/2 nodes are available: 2 node(s) didn't find available persistent volumes to bind.");
    }

    [Fact]
    public async Task A_generic_ephemeral_volume_waits_for_its_claim_takes_only_the_pods_own_and_binds_like_a_claim()
    {
        await CreateNodeAsync(Node("n1", labels: Labels($"{Hostname}=n1")));
        await CreateNodeAsync(Node("n2", labels: Labels($"{Hostname}=n2")));

        // No claim yet: the ephemeral volume controller (not running here) has not made it.
        V1Pod pod = await CreatePodAsync(WithEphemeral(Pod("eph")));
        await WaitUnschedulableAsync("eph", "waiting for ephemeral volume controller to create the persistentvolumeclaim \"eph-scratch\"");

        // A claim of that name the pod does not control is not its volume.
        V1PersistentVolumeClaim foreign = await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("eph-scratch", "manual"), "default");
        await WaitUnschedulableAsync("eph", "PVC default/eph-scratch was not created for pod default/eph (pod is not owner)");
        // (Gone at once: no controller manager runs here to lift the pvc-protection finalizer admission added.)
        foreign = await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(foreign.Metadata.Name, "default");
        foreign.Metadata.Finalizers = null;
        await Client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(foreign, foreign.Metadata.Name, "default");
        await Client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync(foreign.Metadata.Name, "default");
        await Eventually(async () => (await Client.CoreV1.ListNamespacedPersistentVolumeClaimAsync("default")).Items.Count == 0, "the foreign claim gone");

        // The pod's own claim, bound to a volume on n2, takes the pod to n2.
        V1PersistentVolumeClaim own = Claim("eph-scratch", "manual");
        own.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "Pod", Name = "eph", Uid = pod.Metadata.Uid, Controller = true, BlockOwnerDeletion = true }];
        own = await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(own, "default");
        V1PersistentVolume volume = await Client.CoreV1.CreatePersistentVolumeAsync(Volume("pv-eph", "manual", "n2", own));
        await BindAsync(Client, own, volume);
        Assert.Equal("n2", (await WaitBoundAsync("eph")).Spec.NodeName);
    }

    private Task WaitUnschedulableAsync(string pod, string reason) => VolumeFixtures.WaitUnschedulableAsync(Client, pod, reason);

    private async Task CreateBoundAsync(string name, string node)
    {
        V1PersistentVolumeClaim claim = await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim(name, "manual"), "default");
        V1PersistentVolume volume = await Client.CoreV1.CreatePersistentVolumeAsync(Volume("pv-" + name, "manual", node, claim));
        await BindAsync(Client, claim, volume);
    }
}
