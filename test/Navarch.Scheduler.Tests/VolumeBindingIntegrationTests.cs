using k8s;
using k8s.Models;
using static Navarch.Scheduler.Tests.Fixtures;

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
    private const string Hostname = "kubernetes.io/hostname";
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
        await BindAsync(claim, provisioned);
        Assert.Equal("b1", (await WaitBoundAsync("dyn")).Spec.NodeName);

        // A static volume: the smallest that fits, on a node it can reach; the scheduler sets its claimRef.
        await CreateAvailableAsync(Volume("small-a", "static", "a1", null, "1Gi"));
        await CreateAvailableAsync(Volume("large-a", "static", "a1", null, "5Gi"));
        V1PersistentVolumeClaim staticClaim = await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("st", "static"), "default");
        await CreatePodAsync(WithClaim(Pod("st"), "st"));
        V1PersistentVolume chosen = null!;
        await Eventually(async () => (chosen = await Client.CoreV1.ReadPersistentVolumeAsync("small-a")).Spec.ClaimRef?.Uid == staticClaim.Metadata.Uid, "claimRef set on the smallest fitting volume");
        await BindAsync(staticClaim, chosen);
        Assert.Equal("a1", (await WaitBoundAsync("st")).Spec.NodeName);

        // Nothing fits and nothing provisions: Kubernetes' reason.
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("huge", "static", "100Gi"), "default");
        await CreatePodAsync(WithClaim(Pod("huge"), "huge"));
        await WaitUnschedulableAsync("huge", "0/2 nodes are available: 2 node(s) didn't find available persistent volumes to bind.");
    }

    private async Task WaitUnschedulableAsync(string pod, string reason) =>
        await Eventually(
            async () => (await Client.CoreV1.ReadNamespacedPodAsync(pod, "default")).Status?.Conditions?.Any(c => c is { Type: "PodScheduled", Reason: "Unschedulable" } && c.Message.Contains(reason, StringComparison.Ordinal)) == true,
            $"{pod} unschedulable: {reason}");

    private async Task CreateBoundAsync(string name, string node)
    {
        V1PersistentVolumeClaim claim = await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim(name, "manual"), "default");
        V1PersistentVolume volume = await Client.CoreV1.CreatePersistentVolumeAsync(Volume("pv-" + name, "manual", node, claim));
        await BindAsync(claim, volume);
    }

    /// <summary>A new volume as the PersistentVolume controller leaves it: Available (the API server makes it Pending).</summary>
    private async Task CreateAvailableAsync(V1PersistentVolume volume)
    {
        volume = await Client.CoreV1.CreatePersistentVolumeAsync(volume);
        volume.Status = new V1PersistentVolumeStatus { Phase = "Available" };
        await Client.CoreV1.ReplacePersistentVolumeStatusAsync(volume, volume.Metadata.Name);
    }

    /// <summary>What the PersistentVolume controller does on binding.</summary>
    private async Task BindAsync(V1PersistentVolumeClaim claim, V1PersistentVolume volume)
    {
        claim = await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(claim.Metadata.Name, "default");
        claim.Spec.VolumeName = volume.Metadata.Name;
        claim = await Client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(claim, claim.Metadata.Name, "default");
        claim.Status = new V1PersistentVolumeClaimStatus { Phase = "Bound", AccessModes = volume.Spec.AccessModes, Capacity = volume.Spec.Capacity };
        await Client.CoreV1.ReplaceNamespacedPersistentVolumeClaimStatusAsync(claim, claim.Metadata.Name, "default");
    }

    private static V1PersistentVolumeClaim Claim(string name, string? storageClass, string size = "500Mi") => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PersistentVolumeClaimSpec
        {
            StorageClassName = storageClass,
            AccessModes = ["ReadWriteOnce"],
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(size) } },
        },
    };

    private static V1PersistentVolume Volume(string name, string storageClass, string node, V1PersistentVolumeClaim? claim, string size = "1Gi") => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PersistentVolumeSpec
        {
            StorageClassName = storageClass,
            AccessModes = ["ReadWriteOnce"],
            Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new(size) },
            Local = new V1LocalVolumeSource { Path = "/mnt/" + name },
            ClaimRef = claim is null ? null : new V1ObjectReference { ApiVersion = "v1", Kind = "PersistentVolumeClaim", NamespaceProperty = "default", Name = claim.Metadata.Name, Uid = claim.Metadata.Uid },
            NodeAffinity = new V1VolumeNodeAffinity
            {
                Required = new V1NodeSelector { NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = Hostname, OperatorProperty = "In", Values = [node] }] }] },
            },
        },
    };

    private static V1Pod WithClaim(V1Pod pod, string claim)
    {
        pod.Metadata.Uid = null;
        pod.Spec.Volumes = [new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim } }];
        return pod;
    }
}
