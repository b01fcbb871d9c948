using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.Controllers.Tests;

/// <summary>
/// A StatefulSet's persistentVolumeClaimRetentionPolicy against a real API server with the whole controller manager
/// (the garbage collector deletes what the ownerReferences say): Retain keeps claims ownerless; whenScaled Delete makes a
/// scaled-down pod own its claim so that it goes with the pod, and a claim an earlier pod of the name still owns holds
/// the new pod back until it is gone; whenDeleted Delete makes the set own its claims so that they go with it.
/// No kubelet runs: the pods stay unscheduled, so they are deleted at once.
/// </summary>
[Trait("Category", "Integration")]
public sealed class StatefulSetRetentionTests : ControllerCluster
{
    private const string Ns = "default";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static V1StatefulSet Set(string name, int replicas, string whenDeleted, string whenScaled) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1StatefulSetSpec
        {
            Replicas = replicas,
            ServiceName = name,
            PodManagementPolicy = "Parallel",
            PersistentVolumeClaimRetentionPolicy = new V1StatefulSetPersistentVolumeClaimRetentionPolicy { WhenDeleted = whenDeleted, WhenScaled = whenScaled },
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["sts"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["sts"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
            },
            VolumeClaimTemplates =
            [
                new V1PersistentVolumeClaim
                {
                    Metadata = new V1ObjectMeta { Name = "data" },
                    Spec = new V1PersistentVolumeClaimSpec
                    {
                        AccessModes = ["ReadWriteOnce"],
                        Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") } },
                    },
                },
            ],
        },
    };

    private async Task<Dictionary<string, V1PersistentVolumeClaim>> ClaimsOf(string name) =>
        (await Client.CoreV1.ListNamespacedPersistentVolumeClaimAsync(Ns)).Items
            .Where(c => c.Metadata.Name.StartsWith($"data-{name}-", StringComparison.Ordinal) && c.Metadata.DeletionTimestamp is null)
            .ToDictionary(c => c.Metadata.Name, StringComparer.Ordinal);

    private async Task<V1Pod?> PodOrNull(string name)
    {
        try
        {
            return await Client.CoreV1.ReadNamespacedPodAsync(name, Ns);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static string Owners(V1PersistentVolumeClaim claim) =>
        string.Join(",", (claim.Metadata.OwnerReferences ?? []).Select(r => $"{r.Kind}/{r.Name}/{r.Controller}"));

    [Fact]
    public async Task Retain_keeps_claims_ownerless_across_scale_down()
    {
        await Client.AppsV1.CreateNamespacedStatefulSetAsync(Set("keep", 2, "Retain", "Retain"), Ns);
        await Eventually(async () => (await ClaimsOf("keep")).Count == 2 && await PodOrNull("keep-1") is not null, "2 claims and pods");
        await Client.AppsV1.PatchNamespacedStatefulSetScaleAsync(new V1Patch("{\"spec\":{\"replicas\":1}}", V1Patch.PatchType.MergePatch), "keep", Ns);
        await Eventually(async () => await PodOrNull("keep-1") is null, "keep-1 gone");
        Dictionary<string, V1PersistentVolumeClaim> claims = await ClaimsOf("keep");
        Assert.Equal(["data-keep-0", "data-keep-1"], claims.Keys.Order(StringComparer.Ordinal));
        Assert.All(claims.Values, c => Assert.Equal("", Owners(c)));
    }

    [Fact]
    public async Task WhenScaled_Delete_gives_a_scaled_down_pods_claim_to_the_pod_and_it_goes_with_it()
    {
        V1StatefulSet set = await Client.AppsV1.CreateNamespacedStatefulSetAsync(Set("scale", 3, "Retain", "Delete"), Ns);
        await Eventually(async () => (await ClaimsOf("scale")).Count == 3 && await PodOrNull("scale-2") is not null, "3 claims and pods");
        Assert.All((await ClaimsOf("scale")).Values, c => Assert.Equal("", Owners(c)));

        await Client.AppsV1.PatchNamespacedStatefulSetScaleAsync(new V1Patch("{\"spec\":{\"replicas\":1}}", V1Patch.PatchType.MergePatch), "scale", Ns);
        await Eventually(async () => (await ClaimsOf("scale")).Count == 1, "the scaled-down pods' claims collected", Deadline);
        V1PersistentVolumeClaim kept = Assert.Single((await ClaimsOf("scale")).Values);
        Assert.Equal(("data-scale-0", ""), (kept.Metadata.Name, Owners(kept)));

        // Scaling up again makes fresh claims.
        await Client.AppsV1.PatchNamespacedStatefulSetScaleAsync(new V1Patch("{\"spec\":{\"replicas\":2}}", V1Patch.PatchType.MergePatch), "scale", Ns);
        await Eventually(async () => (await ClaimsOf("scale")).Count == 2 && await PodOrNull("scale-1") is not null, "scale-1 and its claim again", Deadline);
        Assert.NotNull(set.Metadata.Uid);
    }

    [Fact]
    public async Task A_claim_an_earlier_pod_of_the_name_still_owns_holds_the_new_pod_back_until_it_is_gone()
    {
        // data-stale-1 belongs to a pod stale-1 that is gone; a finalizer keeps it while the collector deletes it.
        await Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(new V1PersistentVolumeClaim
        {
            Metadata = new V1ObjectMeta
            {
                Name = "data-stale-1",
                Finalizers = ["test.navarch.io/hold"],
                OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "Pod", Name = "stale-1", Uid = Guid.NewGuid().ToString(), Controller = true }],
            },
            Spec = Set("stale", 1, "Retain", "Delete").Spec.VolumeClaimTemplates[0].Spec,
        }, Ns);
        await Eventually(async () => (await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("data-stale-1", Ns)).Metadata.DeletionTimestamp is not null, "the collector deleting the orphaned claim", Deadline);

        await Client.AppsV1.CreateNamespacedStatefulSetAsync(Set("stale", 2, "Retain", "Delete"), Ns);
        await Eventually(async () => await PodOrNull("stale-0") is not null, "stale-0", Deadline);
        await Eventually(async () => (await Client.AppsV1.ReadNamespacedStatefulSetAsync("stale", Ns)).Status is { Replicas: 1, ObservedGeneration: 1 }, "a sync that saw both ordinals", Deadline);
        Assert.Null(await PodOrNull("stale-1"));

        V1PersistentVolumeClaim held = await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("data-stale-1", Ns);
        held.Metadata.Finalizers = held.Metadata.Finalizers.Where(f => f != "test.navarch.io/hold").ToList();
        await Client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(held, "data-stale-1", Ns);
        V1Pod pod = await Eventually(() => PodOrNull("stale-1"), p => p is not null, "stale-1 once the stale claim is gone", Deadline) ?? throw new InvalidOperationException();
        V1PersistentVolumeClaim fresh = (await ClaimsOf("stale"))["data-stale-1"];
        Assert.NotEqual(held.Metadata.Uid, fresh.Metadata.Uid);
        Assert.Equal("", Owners(fresh));
        Assert.NotNull(pod.Metadata.Uid);
    }

    [Fact]
    public async Task WhenDeleted_Delete_makes_the_set_own_its_claims_and_they_go_with_it()
    {
        V1StatefulSet set = await Client.AppsV1.CreateNamespacedStatefulSetAsync(Set("owned", 2, "Delete", "Retain"), Ns);
        await Eventually(async () => (await ClaimsOf("owned")).Values.Count(c => Owners(c) == "StatefulSet/owned/True") == 2, "both claims owned by the set", Deadline);
        V1OwnerReference owner = Assert.Single((await ClaimsOf("owned"))["data-owned-0"].Metadata.OwnerReferences);
        Assert.Equal(("apps/v1", set.Metadata.Uid, true), (owner.ApiVersion, owner.Uid, owner.BlockOwnerDeletion));

        // Scaling down keeps the claim (whenScaled Retain), still the set's.
        await Client.AppsV1.PatchNamespacedStatefulSetScaleAsync(new V1Patch("{\"spec\":{\"replicas\":1}}", V1Patch.PatchType.MergePatch), "owned", Ns);
        await Eventually(async () => await PodOrNull("owned-1") is null, "owned-1 gone", Deadline);
        Assert.Equal(2, (await ClaimsOf("owned")).Count);

        // Changing the policy to Retain takes the set's references off again.
        // (Patched, not read and replaced: the controller writes the set's status meanwhile.)
        await Client.AppsV1.PatchNamespacedStatefulSetAsync(new V1Patch("{\"spec\":{\"persistentVolumeClaimRetentionPolicy\":{\"whenDeleted\":\"Retain\"}}}", V1Patch.PatchType.MergePatch), "owned", Ns);
        await Eventually(async () => Owners((await ClaimsOf("owned"))["data-owned-0"]) == "", "data-owned-0 released by the policy change", Deadline);
        await Client.AppsV1.PatchNamespacedStatefulSetAsync(new V1Patch("{\"spec\":{\"persistentVolumeClaimRetentionPolicy\":{\"whenDeleted\":\"Delete\"}}}", V1Patch.PatchType.MergePatch), "owned", Ns);
        await Eventually(async () => Owners((await ClaimsOf("owned"))["data-owned-0"]) == "StatefulSet/owned/True", "data-owned-0 owned again", Deadline);

        // The set goes (background): its pods and the claims it owns go too. (data-owned-1 belongs to no live pod:
        // only the in-range replicas' claims are the policy's to update, so it keeps the reference it got before.)
        await Client.AppsV1.DeleteNamespacedStatefulSetAsync("owned", Ns, propagationPolicy: "Background");
        await Eventually(async () => (await ClaimsOf("owned")).Count == 0 && await PodOrNull("owned-0") is null, "the set's claims and pods collected", Deadline);
    }
}
