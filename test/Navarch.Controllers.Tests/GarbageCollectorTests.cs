using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.Controllers.Tests;

/// <summary>The garbage collector against a real API server: background, orphan and foreground cascades, and shared ownership.</summary>
[Trait("Category", "Integration")]
public sealed class GarbageCollectorTests : ControllerCluster
{
    private async Task<IList<V1Pod>> PodsOf(string name) => (await Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: $"rs={name}")).Items;

    private async Task<V1ReplicaSet> ReplicaSetWithPods(string name, int replicas)
    {
        V1ReplicaSet rs = await Client.AppsV1.CreateNamespacedReplicaSetAsync(TestObjects.ReplicaSet(name, replicas), "default");
        await Eventually(async () => (await PodsOf(name)).Count == replicas, $"{name} has {replicas} pods");
        return rs;
    }

    private static async Task<bool> Gone(Func<Task> read)
    {
        try
        {
            await read();
            return false;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return true;
        }
    }

    private static V1OwnerReference OwnerReference(V1ConfigMap owner) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Name = owner.Metadata.Name,
        Uid = owner.Metadata.Uid,
    };

    [Fact]
    public async Task Deleting_a_replicaset_in_the_background_deletes_its_pods()
    {
        await ReplicaSetWithPods("bg", 3);
        await Client.AppsV1.DeleteNamespacedReplicaSetAsync("bg", "default", propagationPolicy: "Background");
        await Eventually(async () => (await PodsOf("bg")).Count == 0, "the pods of a deleted ReplicaSet are collected");
    }

    [Fact]
    public async Task Orphan_propagation_keeps_the_pods_without_their_owner_reference()
    {
        await ReplicaSetWithPods("orphaner", 2);
        await Client.AppsV1.DeleteNamespacedReplicaSetAsync("orphaner", "default", propagationPolicy: "Orphan");
        await Eventually(() => Gone(() => Client.AppsV1.ReadNamespacedReplicaSetAsync("orphaner", "default")), "the ReplicaSet is gone");
        await Eventually(async () => (await PodsOf("orphaner")).All(p => p.Metadata.OwnerReferences is null or { Count: 0 }), "the pods are orphaned");

        // Orphans stay (nothing owns them any more, so nothing collects them): an absence, so a window.
        await Task.Delay(500);
        IList<V1Pod> pods = await PodsOf("orphaner");
        Assert.Equal(2, pods.Count);
        Assert.All(pods, p => Assert.Null(p.Metadata.DeletionTimestamp));
    }

    [Fact]
    public async Task Foreground_propagation_deletes_the_pods_before_the_replicaset()
    {
        await ReplicaSetWithPods("fg", 2);
        // One pod holds on with a finalizer of its own, so the ReplicaSet is seen waiting for it.
        V1Pod held = (await PodsOf("fg"))[0];
        await Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("{\"metadata\":{\"finalizers\":[\"test.navarch.io/hold\"]}}", V1Patch.PatchType.MergePatch), held.Metadata.Name, "default");

        await Client.AppsV1.DeleteNamespacedReplicaSetAsync("fg", "default", propagationPolicy: "Foreground");
        await Eventually(async () => (await PodsOf("fg")).All(p => p.Metadata.DeletionTimestamp is not null), "every pod is being deleted");
        await Eventually(async () => (await PodsOf("fg")).Count == 1, "the pod without a finalizer is gone");

        // The owner waits for its held dependent: nothing marks "still waiting", so a window.
        await Task.Delay(300);
        V1ReplicaSet waiting = await Client.AppsV1.ReadNamespacedReplicaSetAsync("fg", "default");
        Assert.NotNull(waiting.Metadata.DeletionTimestamp);
        Assert.Contains("foregroundDeletion", waiting.Metadata.Finalizers);
        Assert.Equal(held.Metadata.Name, Assert.Single(await PodsOf("fg")).Metadata.Name);

        await Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("{\"metadata\":{\"finalizers\":null}}", V1Patch.PatchType.MergePatch), held.Metadata.Name, "default");
        await Eventually(async () => (await PodsOf("fg")).Count == 0, "the held pod is gone");
        await Eventually(() => Gone(() => Client.AppsV1.ReadNamespacedReplicaSetAsync("fg", "default")), "the ReplicaSet goes after its pods");
    }

    [Fact]
    public async Task Foreground_deletion_cascades_through_a_deployment_to_its_replicaset_and_pods()
    {
        // A real Deployment: its controller makes the ReplicaSet, whose controller makes the pods.
        await Client.AppsV1.CreateNamespacedDeploymentAsync(new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "deep" },
            Spec = new V1DeploymentSpec
            {
                Replicas = 2,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["rs"] = "deep" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["rs"] = "deep" } },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
                },
            },
        }, "default");
        await Eventually(async () => (await PodsOf("deep")).Count == 2, "deep has 2 pods");
        Assert.Single((await Client.AppsV1.ListNamespacedReplicaSetAsync("default", labelSelector: "rs=deep")).Items);

        await Client.AppsV1.DeleteNamespacedDeploymentAsync("deep", "default", propagationPolicy: "Foreground");
        await Eventually(() => Gone(() => Client.AppsV1.ReadNamespacedDeploymentAsync("deep", "default")), "the Deployment goes last");
        Assert.Empty((await Client.AppsV1.ListNamespacedReplicaSetAsync("default", labelSelector: "rs=deep")).Items);
        Assert.Empty(await PodsOf("deep"));
    }

    [Fact]
    public async Task A_dependent_with_another_live_owner_survives_losing_one()
    {
        V1ConfigMap first = await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "owner-a" } }, "default");
        V1ConfigMap second = await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "owner-b" } }, "default");
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "shared", OwnerReferences = [OwnerReference(first), OwnerReference(second)] },
        }, "default");

        await Client.CoreV1.DeleteNamespacedConfigMapAsync("owner-a", "default");
        await Eventually(async () => (await Client.CoreV1.ReadNamespacedConfigMapAsync("shared", "default")).Metadata.OwnerReferences?.Count == 1, "the dangling reference is removed");
        V1ConfigMap shared = await Client.CoreV1.ReadNamespacedConfigMapAsync("shared", "default");
        Assert.Null(shared.Metadata.DeletionTimestamp);
        Assert.Equal(second.Metadata.Uid, Assert.Single(shared.Metadata.OwnerReferences).Uid);

        await Client.CoreV1.DeleteNamespacedConfigMapAsync("owner-b", "default");
        await Eventually(() => Gone(() => Client.CoreV1.ReadNamespacedConfigMapAsync("shared", "default")), "the dependent goes with its last owner");
    }

    [Fact]
    public async Task Owners_of_kinds_without_an_informer_are_found_through_discovery()
    {
        V1Lease lease = await Client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease { Metadata = new V1ObjectMeta { Name = "holder" }, Spec = new V1LeaseSpec() }, "default");
        V1OwnerReference Lease(string uid) => new() { ApiVersion = "coordination.k8s.io/v1", Kind = "Lease", Name = "holder", Uid = uid };
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "leased", OwnerReferences = [Lease(lease.Metadata.Uid)] } }, "default");
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "stale-lease", OwnerReferences = [Lease("not-the-lease-uid")] } }, "default");
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "unknown-kind", OwnerReferences = [new V1OwnerReference { ApiVersion = "example.com/v1", Kind = "Widget", Name = "w", Uid = "widget-uid" }] },
        }, "default");

        await Eventually(() => Gone(() => Client.CoreV1.ReadNamespacedConfigMapAsync("stale-lease", "default")), "a reference to another object of the same name dangles");
        // Objects the collector keeps get no write: a window after it acted on the dangling one.
        await Task.Delay(500);
        Assert.Null((await Client.CoreV1.ReadNamespacedConfigMapAsync("leased", "default")).Metadata.DeletionTimestamp);
        Assert.Null((await Client.CoreV1.ReadNamespacedConfigMapAsync("unknown-kind", "default")).Metadata.DeletionTimestamp);
    }

    [Fact]
    public async Task A_dependent_created_after_its_owner_is_gone_is_collected()
    {
        V1ConfigMap owner = await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "late-owner" } }, "default");
        await Client.CoreV1.DeleteNamespacedConfigMapAsync("late-owner", "default");
        await Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "late", OwnerReferences = [OwnerReference(owner)] } }, "default");
        await Eventually(() => Gone(() => Client.CoreV1.ReadNamespacedSecretAsync("late", "default")), "a dependent of a missing owner is collected");
    }
}
