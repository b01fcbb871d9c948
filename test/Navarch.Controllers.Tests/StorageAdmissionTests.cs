using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Testing;
using static Navarch.Controllers.Tests.PersistentVolumeTests;

namespace Navarch.Controllers.Tests;

/// <summary>
/// The storage admission plugins and strategies against a real API server with the controllers running:
/// DefaultStorageClass (and the binder's retroactive default), StorageObjectInUseProtection with the pv/pvc-protection
/// controllers, PersistentVolumeClaimResize, and the 422s of bad claims, volumes and classes.
/// </summary>
[Trait("Category", "Integration")]
public sealed class StorageAdmissionTests : ControllerCluster
{
    private const string Ns = "default";

    protected override ControllerManagerOptions Options => new() { PersistentVolumeSyncPeriod = TimeSpan.FromMilliseconds(300) };

    private static V1StorageClass Class(string name, bool isDefault = false, bool expandable = false) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Annotations = isDefault ? new Dictionary<string, string> { ["storageclass.kubernetes.io/is-default-class"] = "true" } : null },
        Provisioner = "example.com/" + name,
        AllowVolumeExpansion = expandable,
    };

    private static async Task<HttpOperationException> Refused(Func<Task> write, HttpStatusCode code)
    {
        HttpOperationException e = await Assert.ThrowsAsync<HttpOperationException>(write);
        Assert.True(code == e.Response.StatusCode, e.Response.Content);
        return e;
    }

    [Fact]
    public async Task A_claim_without_a_class_gets_the_newest_default_and_an_explicit_empty_class_stays_empty()
    {
        V1PersistentVolumeClaim early = await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("early", "1Gi", storageClass: null), Ns);
        Assert.Null(early.Spec.StorageClassName);

        await Client.StorageV1.CreateStorageClassAsync(Class("old-default", isDefault: true));
        // The claim made before any default existed: the binder gives it the default retroactively.
        await Eventually(async () => (await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("early", Ns)).Spec.StorageClassName == "old-default", "the early claim gets the default class");

        await Task.Delay(1100); // creation timestamps have whole seconds
        await Client.StorageV1.CreateStorageClassAsync(Class("new-default", isDefault: true));
        await Client.StorageV1.CreateStorageClassAsync(Class("plain"));
        await Eventually(async () => (await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim($"probe-{Guid.NewGuid():N}", "1Gi", storageClass: null), Ns)).Spec.StorageClassName == "new-default",
            "the admission gives the newest default class");

        Assert.Equal("", (await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("none", "1Gi", storageClass: ""), Ns)).Spec.StorageClassName);
        Assert.Equal("plain", (await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("chosen", "1Gi", storageClass: "plain"), Ns)).Spec.StorageClassName);

        (int code, string classes, string err) = await RealKubectl.RunAsync(Kubeconfig, "get", "storageclass");
        Assert.True(code == 0, err);
        Assert.Matches(@"NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE", classes);
        Assert.Matches(@"new-default \(default\)\s+example\.com/new-default\s+Delete\s+Immediate\s+false", classes);
        Assert.Matches(@"\nplain\s+example\.com/plain", classes);
    }

    [Fact]
    public async Task A_claim_in_use_by_a_pod_is_kept_until_the_pod_is_gone_and_a_bound_volume_until_unbound()
    {
        await Client.CoreV1.CreatePersistentVolumeAsync(Volume("guarded", "1Gi"));
        V1PersistentVolumeClaim claim = await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("guarded", "1Gi"), Ns);
        Assert.Contains("kubernetes.io/pvc-protection", claim.Metadata.Finalizers);
        Assert.Contains("kubernetes.io/pv-protection", (await Client.CoreV1.ReadPersistentVolumeAsync("guarded")).Metadata.Finalizers);
        await Eventually(() => Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("guarded", Ns), c => c.Status?.Phase == "Bound", "the claim is Bound");

        await Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "user" },
            Spec = new V1PodSpec
            {
                NodeName = "somewhere",
                Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }],
                Volumes = [new V1Volume { Name = "v", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "guarded" } }],
            },
        }, Ns);
        await Client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync("guarded", Ns);
        await Client.CoreV1.DeletePersistentVolumeAsync("guarded");
        await Task.Delay(1000);
        V1PersistentVolumeClaim terminating = await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("guarded", Ns);
        Assert.NotNull(terminating.Metadata.DeletionTimestamp);
        Assert.Equal("Bound", terminating.Status.Phase);
        Assert.Equal("Bound", (await Client.CoreV1.ReadPersistentVolumeAsync("guarded")).Status.Phase);
        (int code, string pvcs, string err) = await RealKubectl.RunAsync(Kubeconfig, "get", "pvc", "guarded", "-n", Ns);
        Assert.True(code == 0, err);
        Assert.Matches(@"guarded\s+Terminating\s+guarded", pvcs);

        await Client.CoreV1.DeleteNamespacedPodAsync("user", Ns, new V1DeleteOptions { GracePeriodSeconds = 0 });
        // The claim goes; its volume (Retain) is then Released, no longer Bound, and goes too.
        await Eventually(async () => (await Client.CoreV1.ListNamespacedPersistentVolumeClaimAsync(Ns, fieldSelector: "metadata.name=guarded")).Items.Count == 0, "the claim is gone");
        await Eventually(async () => (await Client.CoreV1.ListPersistentVolumeAsync(fieldSelector: "metadata.name=guarded")).Items.Count == 0, "the volume is gone");
    }

    [Fact]
    public async Task A_bound_claim_grows_only_when_its_class_allows_expansion()
    {
        await Client.StorageV1.CreateStorageClassAsync(Class("grows", expandable: true));
        await Client.StorageV1.CreateStorageClassAsync(Class("fixed"));
        await Client.CoreV1.CreatePersistentVolumeAsync(Volume("grows-pv", "1Gi", storageClass: "grows"));
        await Client.CoreV1.CreatePersistentVolumeAsync(Volume("fixed-pv", "1Gi", storageClass: "fixed"));
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("pending", "1Gi", storageClass: "none-such"), Ns);
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("grows", "1Gi", storageClass: "grows"), Ns);
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("fixed", "1Gi", storageClass: "fixed"), Ns);
        await Eventually(() => Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("grows", Ns), c => c.Status?.Phase == "Bound", "grows is Bound");
        await Eventually(() => Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("fixed", Ns), c => c.Status?.Phase == "Bound", "fixed is Bound");

        async Task<V1PersistentVolumeClaim> Resize(string name, string size)
        {
            V1PersistentVolumeClaim c = await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(name, Ns);
            c.Spec.Resources.Requests["storage"] = new ResourceQuantity(size);
            // Unconditional (no resourceVersion): the controllers write these claims' status meanwhile.
            c.Metadata.ResourceVersion = null;
            return await Client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(c, name, Ns);
        }

        Assert.Equal("2Gi", (await Resize("grows", "2Gi")).Spec.Resources.Requests["storage"].ToString());
        HttpOperationException fixedRefused = await Refused(() => Resize("fixed", "2Gi"), HttpStatusCode.Forbidden);
        Assert.Contains("only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize", fixedRefused.Response.Content, StringComparison.Ordinal);
        // Validation comes before the validating admission: an unbound claim's request is part of its immutable spec.
        HttpOperationException pendingRefused = await Refused(() => Resize("pending", "2Gi"), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("spec is immutable after creation", pendingRefused.Response.Content, StringComparison.Ordinal);
        HttpOperationException shrink = await Refused(() => Resize("fixed", "500Mi"), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("field can not be less than status.capacity", shrink.Response.Content, StringComparison.Ordinal);

        V1PersistentVolumeClaim other = await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("fixed", Ns);
        other.Spec.AccessModes = ["ReadWriteMany"];
        other.Metadata.ResourceVersion = null;
        HttpOperationException immutable = await Refused(() => Client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(other, "fixed", Ns), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims", immutable.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_claims_volumes_and_classes_are_refused_with_422()
    {
        V1PersistentVolumeClaim noModes = Claim("no-modes", "1Gi");
        noModes.Spec.AccessModes = [];
        Assert.Contains("at least 1 access mode is required", (await Refused(() => Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(noModes, Ns), HttpStatusCode.UnprocessableEntity)).Response.Content, StringComparison.Ordinal);
        Assert.Contains("must be greater than zero", (await Refused(() => Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("zero", "0"), Ns), HttpStatusCode.UnprocessableEntity)).Response.Content, StringComparison.Ordinal);
        V1PersistentVolumeClaim noSize = Claim("no-size", "1Gi");
        noSize.Spec.Resources = null;
        Assert.Contains("spec.resources[storage]", (await Refused(() => Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(noSize, Ns), HttpStatusCode.UnprocessableEntity)).Response.Content, StringComparison.Ordinal);
        Assert.Contains("spec.accessModes", (await Refused(() => Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("odd", "1Gi", ["ReadSometimes"]), Ns), HttpStatusCode.UnprocessableEntity)).Response.Content, StringComparison.Ordinal);
        Assert.Contains("spec.storageClassName", (await Refused(() => Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("bad-class", "1Gi", storageClass: "Not_A_Name"), Ns), HttpStatusCode.UnprocessableEntity)).Response.Content, StringComparison.Ordinal);

        Assert.Contains("must be greater than zero", (await Refused(() => Client.CoreV1.CreatePersistentVolumeAsync(Volume("empty", "0")), HttpStatusCode.UnprocessableEntity)).Response.Content, StringComparison.Ordinal);
        V1PersistentVolume local = Volume("local", "1Gi");
        local.Spec.HostPath = null;
        local.Spec.Local = new V1LocalVolumeSource { Path = "/mnt/disk" };
        Assert.Contains("Local volume requires node affinity", (await Refused(() => Client.CoreV1.CreatePersistentVolumeAsync(local), HttpStatusCode.UnprocessableEntity)).Response.Content, StringComparison.Ordinal);
        V1PersistentVolume created = await Client.CoreV1.CreatePersistentVolumeAsync(Volume("fixed-source", "1Gi"));
        Assert.Equal(("Retain", "Filesystem"), (created.Spec.PersistentVolumeReclaimPolicy, created.Spec.VolumeMode));
        created.Spec.HostPath.Path = "/tmp/elsewhere";
        created.Metadata.ResourceVersion = null; // the binder makes it Available meanwhile
        Assert.Contains("spec.persistentvolumesource is immutable after creation", (await Refused(() => Client.CoreV1.ReplacePersistentVolumeAsync(created, "fixed-source"), HttpStatusCode.UnprocessableEntity)).Response.Content, StringComparison.Ordinal);

        V1StorageClass badMode = Class("bad-mode");
        badMode.VolumeBindingMode = "Eventually";
        Assert.Contains("volumeBindingMode", (await Refused(() => Client.StorageV1.CreateStorageClassAsync(badMode), HttpStatusCode.UnprocessableEntity)).Response.Content, StringComparison.Ordinal);
        V1StorageClass sc = await Client.StorageV1.CreateStorageClassAsync(Class("params"));
        sc.Parameters = new Dictionary<string, string> { ["type"] = "ssd" };
        Assert.Contains("updates to parameters are forbidden.", (await Refused(() => Client.StorageV1.ReplaceStorageClassAsync(sc, "params"), HttpStatusCode.UnprocessableEntity)).Response.Content, StringComparison.Ordinal);
    }
}
