using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.Controllers.Tests;

/// <summary>
/// The ephemeral volume controller against a real API server with the whole controller manager: the claim
/// <c>&lt;pod&gt;-&lt;volume&gt;</c> made from the template and controlled by the pod, made again when deleted under the
/// pod, never taken over from someone else (FailedBinding), and collected with the pod.
/// </summary>
[Trait("Category", "Integration")]
public sealed class EphemeralVolumeTests : ControllerCluster
{
    private const string Ns = "default";

    private static V1Pod Pod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec
        {
            Containers = [new V1Container { Name = "c", Image = "busybox:1.35", VolumeMounts = [new V1VolumeMount { Name = "scratch", MountPath = "/scratch" }] }],
            Volumes =
            [
                new V1Volume { Name = "cache", EmptyDir = new V1EmptyDirVolumeSource() },
                new V1Volume
                {
                    Name = "scratch",
                    Ephemeral = new V1EphemeralVolumeSource
                    {
                        VolumeClaimTemplate = new V1PersistentVolumeClaimTemplate
                        {
                            Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["type"] = "scratch" }, Annotations = new Dictionary<string, string> { ["note"] = "kept" } },
                            Spec = new V1PersistentVolumeClaimSpec
                            {
                                AccessModes = ["ReadWriteOnce"],
                                StorageClassName = "fast",
                                Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("8Mi") } },
                            },
                        },
                    },
                },
            ],
        },
    };

    private async Task<V1PersistentVolumeClaim?> ClaimOrNull(string name)
    {
        try
        {
            return await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(name, Ns);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    [Fact]
    public async Task The_claim_is_made_from_the_template_owned_by_the_pod_remade_when_deleted_and_collected_with_the_pod()
    {
        V1Pod pod = await Client.CoreV1.CreateNamespacedPodAsync(Pod("worker"), Ns);
        V1PersistentVolumeClaim claim = await Eventually(() => ClaimOrNull("worker-scratch"), c => c is not null, "the ephemeral claim") ?? throw new InvalidOperationException();
        V1OwnerReference owner = Assert.Single(claim.Metadata.OwnerReferences);
        Assert.Equal(("v1", "Pod", "worker", pod.Metadata.Uid, true, true), (owner.ApiVersion, owner.Kind, owner.Name, owner.Uid, owner.Controller, owner.BlockOwnerDeletion));
        Assert.Equal("scratch", claim.Metadata.Labels["type"]);
        Assert.Equal("kept", claim.Metadata.Annotations["note"]);
        Assert.Equal(("fast", "8Mi", "ReadWriteOnce"), (claim.Spec.StorageClassName, claim.Spec.Resources.Requests["storage"].ToString(), Assert.Single(claim.Spec.AccessModes)));
        Assert.Null(await ClaimOrNull("worker-cache"));

        // Deleted under the live pod (unscheduled, so protection lets it go): made again, with a new uid.
        await Client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync("worker-scratch", Ns);
        V1PersistentVolumeClaim again = await Eventually(() => ClaimOrNull("worker-scratch"), c => c is not null && c.Metadata.Uid != claim.Metadata.Uid && c.Metadata.DeletionTimestamp is null, "the claim made again") ?? throw new InvalidOperationException();
        Assert.Equal(pod.Metadata.Uid, Assert.Single(again.Metadata.OwnerReferences).Uid);

        // The pod goes: the garbage collector deletes its claim.
        await Client.CoreV1.DeleteNamespacedPodAsync("worker", Ns, gracePeriodSeconds: 0);
        await Eventually(() => ClaimOrNull("worker-scratch"), c => c is null, "the claim collected with its pod");
    }

    [Fact]
    public async Task A_claim_of_that_name_the_pod_does_not_own_is_never_used_and_the_pod_gets_FailedBinding()
    {
        V1PersistentVolumeClaim foreign = await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(new V1PersistentVolumeClaim
        {
            Metadata = new V1ObjectMeta { Name = "taken-scratch" },
            Spec = new V1PersistentVolumeClaimSpec
            {
                AccessModes = ["ReadWriteOnce"],
                Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Mi") } },
            },
        }, Ns);
        await Client.CoreV1.CreateNamespacedPodAsync(Pod("taken"), Ns);

        Corev1Event failed = await Eventually(
            async () => (await Client.CoreV1.ListNamespacedEventAsync(Ns)).Items.FirstOrDefault(e => e.InvolvedObject.Name == "taken" && e.Reason == "FailedBinding"),
            e => e is not null, "FailedBinding on the pod") ?? throw new InvalidOperationException();
        Assert.Equal("Warning", failed.Type);
        Assert.Equal("ephemeral volume scratch: PVC default/taken-scratch was not created for pod default/taken (pod is not owner)", failed.Message);
        Assert.Equal("ephemeral_volume", failed.Source?.Component ?? failed.ReportingComponent);

        // The claim is left as it was.
        V1PersistentVolumeClaim still = await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("taken-scratch", Ns);
        Assert.Equal(foreign.Metadata.Uid, still.Metadata.Uid);
        Assert.Null(still.Metadata.OwnerReferences);
    }

    [Fact]
    public async Task An_ephemeral_volume_without_a_valid_claim_template_is_refused_with_422()
    {
        V1Pod none = Pod("none");
        none.Spec.Volumes[1].Ephemeral.VolumeClaimTemplate = null;
        HttpOperationException refused = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CoreV1.CreateNamespacedPodAsync(none, Ns));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Response.StatusCode);
        Assert.True(refused.Response.Content.Contains("spec.volumes[1].ephemeral.volumeClaimTemplate: Required value", StringComparison.Ordinal), refused.Response.Content);

        V1Pod bad = Pod("bad");
        bad.Spec.Volumes[1].Ephemeral.VolumeClaimTemplate.Spec.AccessModes = ["Sometimes"];
        refused = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CoreV1.CreateNamespacedPodAsync(bad, Ns));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Response.StatusCode);
        Assert.True(refused.Response.Content.Contains("spec.volumes[1].ephemeral.volumeClaimTemplate.spec.accessModes: Unsupported value: \\\"Sometimes\\\"", StringComparison.Ordinal), refused.Response.Content);
    }
}
