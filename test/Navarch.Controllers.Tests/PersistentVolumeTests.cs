using k8s;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.Controllers.Tests;

/// <summary>
/// The PersistentVolume controller against a real API server: static binding (class, access modes, smallest fit,
/// volumeMode, selector, pre-bound either side), provisioning hand-off to external provisioners, WaitForFirstConsumer,
/// reclaim policies, and the Events kubectl describe shows — with the real kubectl reading the columns.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PersistentVolumeTests : ControllerCluster
{
    private const string Ns = "default";

    protected override ControllerManagerOptions Options => new() { PersistentVolumeSyncPeriod = TimeSpan.FromMilliseconds(300) };

    internal static V1PersistentVolume Volume(string name, string size, string[]? modes = null, string? storageClass = null, string policy = "Retain", V1ObjectReference? claimRef = null, string? path = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PersistentVolumeSpec
        {
            Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new(size) },
            AccessModes = modes ?? ["ReadWriteOnce"],
            StorageClassName = storageClass,
            PersistentVolumeReclaimPolicy = policy,
            ClaimRef = claimRef,
            HostPath = new V1HostPathVolumeSource { Path = path ?? $"/tmp/navarch-pv-test/{name}" },
        },
    };

    internal static V1PersistentVolumeClaim Claim(string name, string size, string[]? modes = null, string? storageClass = "", string? volumeName = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PersistentVolumeClaimSpec
        {
            AccessModes = modes ?? ["ReadWriteOnce"],
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(size) } },
            StorageClassName = storageClass,
            VolumeName = volumeName,
        },
    };

    // A bind writes from the controller's cache: under the suite's load a write can meet a conflict and wait out its
    // back-off, so these allow more than the usual 10 s.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private Task<V1PersistentVolumeClaim> ClaimWhere(string name, Func<V1PersistentVolumeClaim, bool> done, string what) =>
        Eventually(() => Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(name, Ns), done, what, Patience);

    private Task<V1PersistentVolume> VolumeWhere(string name, Func<V1PersistentVolume, bool> done, string what) =>
        Eventually(() => Client.CoreV1.ReadPersistentVolumeAsync(name), done, what, Patience);

    private static string? Annotation(V1PersistentVolumeClaim claim, string key) =>
        claim.Metadata.Annotations is { } annotations && annotations.TryGetValue(key, out string? value) ? value : null;

    private async Task<List<Corev1Event>> EventsFor(string name) =>
        (await Client.CoreV1.ListEventForAllNamespacesAsync(fieldSelector: $"involvedObject.name={name}")).Items.ToList();

    private Task EventSeen(string name, string reason, string message) =>
        Eventually(async () => (await EventsFor(name)).Any(e => e.Reason == reason && e.Message == message), $"event {reason} \"{message}\" on {name}");

    [Fact]
    public async Task A_claim_binds_the_smallest_available_volume_that_fits_on_both_sides()
    {
        await Client.CoreV1.CreatePersistentVolumeAsync(Volume("small", "1Gi"));
        await Client.CoreV1.CreatePersistentVolumeAsync(Volume("large", "10Gi"));
        await Client.CoreV1.CreatePersistentVolumeAsync(Volume("medium", "5Gi"));
        // Smaller, but offering more modes than asked: as Kubernetes' index, the sets with the fewest modes are tried first.
        await Client.CoreV1.CreatePersistentVolumeAsync(Volume("wide", "4Gi", ["ReadWriteOnce", "ReadOnlyMany"]));
        await VolumeWhere("wide", v => v.Status?.Phase == "Available", "the volume is Available");
        await VolumeWhere("medium", v => v.Status?.Phase == "Available", "the volume is Available");

        V1PersistentVolumeClaim created = await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("data", "3Gi"), Ns);
        V1PersistentVolumeClaim claim = await ClaimWhere("data", c => c.Status?.Phase == "Bound", "the claim is Bound");

        Assert.Equal("medium", claim.Spec.VolumeName);
        Assert.Equal("yes", claim.Metadata.Annotations["pv.kubernetes.io/bind-completed"]);
        Assert.Equal("yes", claim.Metadata.Annotations["pv.kubernetes.io/bound-by-controller"]);
        Assert.Equal("5Gi", claim.Status.Capacity["storage"].ToString());
        Assert.Equal(["ReadWriteOnce"], claim.Status.AccessModes);

        V1PersistentVolume volume = await VolumeWhere("medium", v => v.Status?.Phase == "Bound", "the volume is Bound");
        Assert.Equal(created.Metadata.Uid, volume.Spec.ClaimRef.Uid);
        Assert.Equal(("PersistentVolumeClaim", "v1", Ns, "data"), (volume.Spec.ClaimRef.Kind, volume.Spec.ClaimRef.ApiVersion, volume.Spec.ClaimRef.NamespaceProperty, volume.Spec.ClaimRef.Name));
        Assert.Equal("yes", volume.Metadata.Annotations["pv.kubernetes.io/bound-by-controller"]);
        Assert.NotNull(volume.Status.LastPhaseTransitionTime);
        Assert.Equal("Available", (await Client.CoreV1.ReadPersistentVolumeAsync("small")).Status.Phase);

        (int code, string pvs, string err) = await RealKubectl.RunAsync(Kubeconfig, "get", "pv", "medium");
        Assert.True(code == 0, err);
        Assert.Matches(@"NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+REASON\s+AGE", pvs);
        Assert.Matches(@"medium\s+5Gi\s+RWO\s+Retain\s+Bound\s+default/data\s+<unset>", pvs);
        (code, string pvcs, err) = await RealKubectl.RunAsync(Kubeconfig, "get", "pvc", "data", "-n", Ns);
        Assert.True(code == 0, err);
        Assert.Matches(@"data\s+Bound\s+medium\s+5Gi\s+RWO\s+<unset>", pvcs);

        // Asking for both modes, the claim gets the only volume offering both.
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("both", "1Gi", ["ReadOnlyMany", "ReadWriteOnce"]), Ns);
        Assert.Equal("wide", (await ClaimWhere("both", c => c.Status?.Phase == "Bound", "both is Bound")).Spec.VolumeName);
    }

    [Fact]
    public async Task A_claim_no_volume_satisfies_stays_Pending_with_FailedBinding()
    {
        await Client.CoreV1.CreatePersistentVolumeAsync(Volume("rwo-only", "100Gi"));
        await Client.CoreV1.CreatePersistentVolumeAsync(Volume("too-small", "1Mi", ["ReadWriteMany"]));
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("shared", "1Gi", ["ReadWriteMany"]), Ns);
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("huge", "1Ei"), Ns);

        await EventSeen("shared", "FailedBinding", "no persistent volumes available for this claim and no storage class is set");
        await EventSeen("huge", "FailedBinding", "no persistent volumes available for this claim and no storage class is set");
        await Task.Delay(700);
        Assert.Equal("Pending", (await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("shared", Ns)).Status.Phase);
        Assert.Equal("Available", (await Client.CoreV1.ReadPersistentVolumeAsync("rwo-only")).Status.Phase);

        (int code, string describe, string err) = await RealKubectl.RunAsync(Kubeconfig, "describe", "pvc", "shared", "-n", Ns);
        Assert.True(code == 0, err);
        Assert.Matches(@"Normal\s+FailedBinding\s+.*persistentvolume-controller\s+no persistent volumes available for this claim and no storage class is set", describe);
    }

    [Fact]
    public async Task Class_volumeMode_and_selector_narrow_the_match()
    {
        await Client.CoreV1.CreatePersistentVolumeAsync(Volume("plain", "1Gi"));
        V1PersistentVolume fast = Volume("fast", "2Gi", storageClass: "fast");
        await Client.CoreV1.CreatePersistentVolumeAsync(fast);
        V1PersistentVolume block = Volume("block", "3Gi");
        block.Spec.VolumeMode = "Block";
        await Client.CoreV1.CreatePersistentVolumeAsync(block);
        V1PersistentVolume labelled = Volume("labelled", "8Gi");
        labelled.Metadata.Labels = new Dictionary<string, string> { ["tier"] = "gold" };
        await Client.CoreV1.CreatePersistentVolumeAsync(labelled);
        await VolumeWhere("labelled", v => v.Status?.Phase == "Available", "the volume is Available");

        V1PersistentVolumeClaim gold = Claim("gold", "1Gi");
        gold.Spec.Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["tier"] = "gold" } };
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(gold, Ns);
        V1PersistentVolumeClaim raw = Claim("raw", "1Gi");
        raw.Spec.VolumeMode = "Block";
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(raw, Ns);
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("classy", "1Gi", storageClass: "fast"), Ns);

        Assert.Equal("labelled", (await ClaimWhere("gold", c => c.Status?.Phase == "Bound", "gold is Bound")).Spec.VolumeName);
        Assert.Equal("block", (await ClaimWhere("raw", c => c.Status?.Phase == "Bound", "raw is Bound")).Spec.VolumeName);
        // A class with no StorageClass object: only volumes of that class match (no provisioning is tried once one does).
        Assert.Equal("fast", (await ClaimWhere("classy", c => c.Status?.Phase == "Bound", "classy is Bound")).Spec.VolumeName);
        Assert.Equal("Available", (await Client.CoreV1.ReadPersistentVolumeAsync("plain")).Status.Phase);
    }

    [Fact]
    public async Task Pre_bound_claims_and_volumes_bind_only_to_each_other()
    {
        // The volume names its claim: a claim that would fit as well does not get it.
        await Client.CoreV1.CreatePersistentVolumeAsync(Volume("reserved", "1Gi", claimRef: new V1ObjectReference { NamespaceProperty = Ns, Name = "mine" }));
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("other", "1Gi"), Ns);
        await EventSeen("other", "FailedBinding", "no persistent volumes available for this claim and no storage class is set");
        V1PersistentVolumeClaim mine = await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("mine", "1Gi"), Ns);
        V1PersistentVolumeClaim bound = await ClaimWhere("mine", c => c.Status?.Phase == "Bound", "mine is Bound");
        Assert.Equal("reserved", bound.Spec.VolumeName);
        V1PersistentVolume volume = await Client.CoreV1.ReadPersistentVolumeAsync("reserved");
        Assert.Equal(mine.Metadata.Uid, volume.Spec.ClaimRef.Uid);
        Assert.False(volume.Metadata.Annotations?.ContainsKey("pv.kubernetes.io/bound-by-controller") ?? false, "the user bound the volume");
        Assert.Equal("yes", bound.Metadata.Annotations["pv.kubernetes.io/bound-by-controller"]);

        // The claim names its volume: it binds to it, and refuses one that does not fit. (Of a class of their own, so
        // that "other", still looking, cannot take them first.)
        await Client.CoreV1.CreatePersistentVolumeAsync(Volume("named", "2Gi", storageClass: "chosen"));
        await Client.CoreV1.CreatePersistentVolumeAsync(Volume("tiny", "10Mi", storageClass: "chosen"));
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("wants-named", "1Gi", storageClass: "chosen", volumeName: "named"), Ns);
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("wants-tiny", "1Gi", storageClass: "chosen", volumeName: "tiny"), Ns);
        V1PersistentVolumeClaim named = await ClaimWhere("wants-named", c => c.Status?.Phase == "Bound", "wants-named is Bound");
        Assert.False(named.Metadata.Annotations.ContainsKey("pv.kubernetes.io/bound-by-controller"), "the user chose the volume");
        Assert.Equal("yes", (await Client.CoreV1.ReadPersistentVolumeAsync("named")).Metadata.Annotations["pv.kubernetes.io/bound-by-controller"]);
        await EventSeen("wants-tiny", "VolumeMismatch", "Cannot bind to requested volume \"tiny\": requested PV is too small");
        Assert.Equal("Pending", (await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("wants-tiny", Ns)).Status.Phase);
    }

    [Fact]
    public async Task Retain_keeps_a_released_volume_from_any_other_claim()
    {
        await Client.CoreV1.CreatePersistentVolumeAsync(Volume("kept", "1Gi"));
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("first", "1Gi"), Ns);
        await ClaimWhere("first", c => c.Status?.Phase == "Bound", "first is Bound");
        await Client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync("first", Ns);
        await VolumeWhere("kept", v => v.Status?.Phase == "Released", "the volume is Released");

        // Even a new claim of the same name: the claimRef's uid is the old claim's.
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("first", "1Gi"), Ns);
        await EventSeen("first", "FailedBinding", "no persistent volumes available for this claim and no storage class is set");
        await Task.Delay(700);
        Assert.Equal("Released", (await Client.CoreV1.ReadPersistentVolumeAsync("kept")).Status.Phase);
        Assert.Equal("Pending", (await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("first", Ns)).Status.Phase);

        // The administrator clears the claimRef: the volume is Available again, and bound.
        V1PersistentVolume released = await Client.CoreV1.ReadPersistentVolumeAsync("kept");
        released.Spec.ClaimRef = null;
        await Client.CoreV1.ReplacePersistentVolumeAsync(released, "kept");
        await ClaimWhere("first", c => c.Status?.Phase == "Bound", "the new claim is Bound");
    }

    [Fact]
    public async Task Delete_removes_a_tmp_hostPath_volume_and_fails_one_no_plugin_can_delete()
    {
        string dir = Path.Combine("/tmp", $"navarch-pv-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "data"), "x");
        await Client.CoreV1.CreatePersistentVolumeAsync(Volume("scratch", "1Gi", policy: "Delete", path: dir));
        V1PersistentVolume nfs = Volume("nfs", "1Gi", ["ReadWriteMany"], policy: "Delete");
        nfs.Spec.HostPath = null;
        nfs.Spec.Nfs = new V1NFSVolumeSource { Server = "10.0.0.1", Path = "/exports" };
        await Client.CoreV1.CreatePersistentVolumeAsync(nfs);
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("scratch-claim", "1Gi", volumeName: "scratch"), Ns);
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("nfs-claim", "1Gi", ["ReadWriteMany"]), Ns);
        await ClaimWhere("scratch-claim", c => c.Status?.Phase == "Bound", "scratch-claim is Bound");
        await ClaimWhere("nfs-claim", c => c.Status?.Phase == "Bound", "nfs-claim is Bound");

        await Client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync("scratch-claim", Ns);
        await Client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync("nfs-claim", Ns);
        await Eventually(async () => (await Client.CoreV1.ListPersistentVolumeAsync(fieldSelector: "metadata.name=scratch")).Items.Count == 0, "the hostPath volume is deleted");
        Assert.False(Directory.Exists(dir), "its directory is removed");
        V1PersistentVolume failed = await VolumeWhere("nfs", v => v.Status?.Phase == "Failed", "the nfs volume is Failed");
        const string Message = "error getting deleter volume plugin for volume \"nfs\": no deletable volume plugin matched";
        Assert.Equal(Message, failed.Status.Message);
        await EventSeen("nfs", "VolumeFailedDelete", Message);
    }

    [Fact]
    public async Task A_class_with_an_external_provisioner_gets_the_claim_annotated_and_waits()
    {
        await Client.StorageV1.CreateStorageClassAsync(new V1StorageClass { Metadata = new V1ObjectMeta { Name = "ext" }, Provisioner = "example.com/nfs" });
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("dyn", "1Gi", storageClass: "ext"), Ns);
        V1PersistentVolumeClaim claim = await ClaimWhere(
            "dyn", c => Annotation(c, "volume.kubernetes.io/storage-provisioner") == "example.com/nfs", "the claim names its provisioner");
        Assert.Equal("example.com/nfs", claim.Metadata.Annotations["volume.beta.kubernetes.io/storage-provisioner"]);
        await EventSeen("dyn", "ExternalProvisioning",
            "Waiting for a volume to be created either by the external provisioner 'example.com/nfs' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.");

        // The provisioner creates the volume bound to the claim, as external-provisioner does.
        V1PersistentVolume made = Volume("pvc-" + claim.Metadata.Uid, "1Gi", storageClass: "ext", policy: "Delete",
            claimRef: new V1ObjectReference { Kind = "PersistentVolumeClaim", ApiVersion = "v1", NamespaceProperty = Ns, Name = "dyn", Uid = claim.Metadata.Uid });
        made.Metadata.Annotations = new Dictionary<string, string> { ["pv.kubernetes.io/provisioned-by"] = "example.com/nfs" };
        await Client.CoreV1.CreatePersistentVolumeAsync(made);
        V1PersistentVolumeClaim bound = await ClaimWhere("dyn", c => c.Status?.Phase == "Bound", "the claim is Bound");
        Assert.Equal(made.Metadata.Name, bound.Spec.VolumeName);

        // Released, the volume waits for its provisioner to delete it.
        await Client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync("dyn", Ns);
        await VolumeWhere(made.Metadata.Name, v => v.Status?.Phase == "Released", "the volume is Released");
        await Task.Delay(700);
        Assert.Equal("Released", (await Client.CoreV1.ReadPersistentVolumeAsync(made.Metadata.Name)).Status.Phase);
    }

    [Fact]
    public async Task Unknown_classes_and_in_tree_provisioners_fail_provisioning_with_an_event()
    {
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("lost-class", "1Gi", storageClass: "nope"), Ns);
        await EventSeen("lost-class", "ProvisioningFailed", "storageclass.storage.k8s.io \"nope\" not found");
        await Client.StorageV1.CreateStorageClassAsync(new V1StorageClass { Metadata = new V1ObjectMeta { Name = "gce" }, Provisioner = "kubernetes.io/gce-pd" });
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("in-tree", "1Gi", storageClass: "gce"), Ns);
        await EventSeen("in-tree", "ProvisioningFailed", "no volume plugin matched name: kubernetes.io/gce-pd");
        Assert.Equal("Pending", (await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("lost-class", Ns)).Status.Phase);
    }

    [Fact]
    public async Task WaitForFirstConsumer_waits_for_the_scheduler_to_select_a_node()
    {
        await Client.StorageV1.CreateStorageClassAsync(new V1StorageClass { Metadata = new V1ObjectMeta { Name = "late" }, Provisioner = "example.com/local", VolumeBindingMode = "WaitForFirstConsumer" });
        // An Available volume of the class is left to the scheduler too.
        await Client.CoreV1.CreatePersistentVolumeAsync(Volume("late-pv", "1Gi", storageClass: "late"));
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("later", "5Gi", storageClass: "late"), Ns);
        await EventSeen("later", "WaitForFirstConsumer", "waiting for first consumer to be created before binding");
        await Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "consumer" },
            Spec = new V1PodSpec
            {
                Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }],
                Volumes = [new V1Volume { Name = "v", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "later" } }],
            },
        }, Ns);
        await EventSeen("later", "WaitForPodScheduled", "waiting for pod consumer to be scheduled");
        Assert.False((await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("later", Ns)).Metadata.Annotations?.ContainsKey("volume.kubernetes.io/storage-provisioner") ?? false);

        V1PersistentVolumeClaim claim = await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("later", Ns);
        claim.Metadata.Annotations ??= new Dictionary<string, string>();
        claim.Metadata.Annotations["volume.kubernetes.io/selected-node"] = "node-a";
        await Client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(claim, "later", Ns);
        await ClaimWhere("later", c => Annotation(c, "volume.kubernetes.io/storage-provisioner") == "example.com/local", "the claim is handed to its provisioner");
        Assert.Equal("Available", (await Client.CoreV1.ReadPersistentVolumeAsync("late-pv")).Status.Phase);
    }

    [Fact]
    public async Task A_bound_claim_whose_volume_is_gone_is_Lost()
    {
        await Client.CoreV1.CreatePersistentVolumeAsync(Volume("vanishing", "1Gi"));
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("orphan", "1Gi"), Ns);
        await ClaimWhere("orphan", c => c.Status?.Phase == "Bound", "the claim is Bound");
        await Client.CoreV1.DeletePersistentVolumeAsync("vanishing");
        // pv-protection keeps a bound volume: take its finalizer off, as an administrator forcing it would.
        V1PersistentVolume? left = (await Client.CoreV1.ListPersistentVolumeAsync(fieldSelector: "metadata.name=vanishing")).Items.FirstOrDefault();
        if (left is not null)
        {
            left.Metadata.Finalizers = null;
            await Client.CoreV1.ReplacePersistentVolumeAsync(left, "vanishing");
        }

        V1PersistentVolumeClaim lost = await ClaimWhere("orphan", c => c.Status?.Phase == "Lost", "the claim is Lost");
        Assert.Null(lost.Status.Capacity);
        await EventSeen("orphan", "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!");
    }
}
