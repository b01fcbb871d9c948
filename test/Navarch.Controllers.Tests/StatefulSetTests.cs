using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.Controllers.Tests;

/// <summary>The StatefulSet controller against a real API server. No kubelet runs: the test plays it, setting pod status.</summary>
[Trait("Category", "Integration")]
public sealed class StatefulSetTests : ControllerCluster
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private static V1StatefulSet StatefulSet(string name, int replicas, int partition = 0) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1StatefulSetSpec
        {
            Replicas = replicas,
            ServiceName = name,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["sts"] = name } },
            UpdateStrategy = new V1StatefulSetUpdateStrategy { Type = "RollingUpdate", RollingUpdate = new V1RollingUpdateStatefulSetStrategy { Partition = partition } },
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

    private async Task<List<V1Pod>> PodsOf(string name) =>
        (await Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: $"sts={name}")).Items
            .Where(p => p.Metadata.DeletionTimestamp is null).OrderBy(p => p.Metadata.Name, StringComparer.Ordinal).ToList();

    private async Task<string[]> NamesOf(string name) => (await PodsOf(name)).Select(p => p.Metadata.Name).ToArray();

    private static bool IsReady(V1Pod pod) => pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    /// <summary>Plays the kubelet for every pod of the set not ready yet.</summary>
    private async Task MarkAllReady(string name) => await MarkReady(await PodsOf(name));

    /// <summary>Plays the kubelet for those of <paramref name="pods"/> not ready yet.</summary>
    private async Task MarkReady(List<V1Pod> pods)
    {
        foreach (V1Pod pod in pods.Where(p => !IsReady(p)))
        {
            pod.Status = new V1PodStatus
            {
                Phase = "Running",
                Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = DateTime.UtcNow.AddMinutes(-1) }],
            };
            try
            {
                await Client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, pod.Metadata.Name, "default");
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.Conflict)
            {
            }
        }
    }

    [Fact]
    public async Task OrderedReady_creates_in_order_with_claims_and_scales_down_from_the_highest_ordinal()
    {
        await Client.AppsV1.CreateNamespacedStatefulSetAsync(StatefulSet("web", 3), "default");
        await Eventually(async () => (await NamesOf("web")).Length > 0, "web-0", Deadline);

        // The marker: the status the controller wrote after the sync that made web-0 counts one replica.
        await Eventually(async () => (await Client.AppsV1.ReadNamespacedStatefulSetAsync("web", "default")).Status is { Replicas: 1, ObservedGeneration: 1 }, "status.replicas 1", Deadline);
        Assert.Equal(["web-0"], await NamesOf("web"));

        V1Pod web0 = Assert.Single(await PodsOf("web"));
        Assert.Equal(("web-0", "web"), (web0.Spec.Hostname, web0.Spec.Subdomain));
        Assert.Equal("web-0", web0.Metadata.Labels["statefulset.kubernetes.io/pod-name"]);
        Assert.Equal("0", web0.Metadata.Labels["apps.kubernetes.io/pod-index"]);
        Assert.StartsWith("web-", web0.Metadata.Labels["controller-revision-hash"], StringComparison.Ordinal);
        Assert.Equal("data-web-0", Assert.Single(web0.Spec.Volumes, v => v.Name == "data").PersistentVolumeClaim.ClaimName);
        V1PersistentVolumeClaim claim = await Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("data-web-0", "default");
        Assert.Equal("web", claim.Metadata.Labels["sts"]);
        Assert.Equal("ReadWriteOnce", Assert.Single(claim.Spec.AccessModes));

        // web-1 only once web-0 is Running and Ready, and so on.
        await MarkAllReady("web");
        await Eventually(async () => (await NamesOf("web")).Length == 2, "web-1", Deadline);
        await Eventually(async () => (await Client.AppsV1.ReadNamespacedStatefulSetAsync("web", "default")).Status?.Replicas == 2, "status.replicas 2", Deadline);
        Assert.Equal(["web-0", "web-1"], await NamesOf("web"));
        await MarkAllReady("web");
        await Eventually(async () => (await NamesOf("web")).Length == 3, "web-2", Deadline);
        await MarkAllReady("web");
        await Eventually(async () => (await Client.AppsV1.ReadNamespacedStatefulSetAsync("web", "default")).Status?.ReadyReplicas == 3, "3 ready replicas", Deadline);
        Assert.Equal(3, (await Client.CoreV1.ListNamespacedPersistentVolumeClaimAsync("default")).Items.Count(c => c.Metadata.Name.StartsWith("data-web-", StringComparison.Ordinal)));

        // Scaling down removes the highest ordinal first: the pods left are always a prefix.
        await Client.AppsV1.PatchNamespacedStatefulSetScaleAsync(new V1Patch("{\"spec\":{\"replicas\":1}}", V1Patch.PatchType.MergePatch), "web", "default");
        await Eventually(async () =>
        {
            string[] names = await NamesOf("web");
            Assert.Equal(Enumerable.Range(0, names.Length).Select(i => $"web-{i}"), names);
            return names.Length == 1;
        }, "scale down to web-0", Deadline);
        V1StatefulSetStatus status = null!;
        await Eventually(async () => (status = (await Client.AppsV1.ReadNamespacedStatefulSetAsync("web", "default")).Status).Replicas == 1, "status.replicas 1", Deadline);
        Assert.Equal((1, 1, 1), (status.ReadyReplicas ?? 0, status.AvailableReplicas ?? 0, status.CurrentReplicas ?? 0));
        Assert.Equal(status.CurrentRevision, status.UpdateRevision);
        Assert.Equal(2, status.ObservedGeneration);

        // Claims are retained.
        await ReadNamespacedClaim("data-web-2");
    }

    private Task<V1PersistentVolumeClaim> ReadNamespacedClaim(string name) => Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(name, "default");

    [Fact]
    public async Task A_rolling_update_with_a_partition_updates_only_ordinals_at_or_above_it_from_the_top()
    {
        V1StatefulSet set = await Client.AppsV1.CreateNamespacedStatefulSetAsync(StatefulSet("db", 3, partition: 1), "default");
        await Eventually(async () =>
        {
            await MarkAllReady("db");
            return (await Client.AppsV1.ReadNamespacedStatefulSetAsync("db", "default")).Status?.ReadyReplicas == 3;
        }, "3 ready replicas", Deadline);
        V1StatefulSetStatus before = (await Client.AppsV1.ReadNamespacedStatefulSetAsync("db", "default")).Status;
        Assert.Equal(before.CurrentRevision, before.UpdateRevision);
        string db0 = (await PodsOf("db"))[0].Metadata.Uid;

        await Client.AppsV1.PatchNamespacedStatefulSetAsync(
            new V1Patch("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\"}]}}}}", V1Patch.PatchType.MergePatch), "db", "default");
        var order = new List<string>();
        await Eventually(async () =>
        {
            List<V1Pod> pods = await PodsOf("db");
            foreach (V1Pod pod in pods.Where(p => p.Spec.Containers[0].Image == "busybox:1.36" && !order.Contains(p.Metadata.Name)))
            {
                order.Add(pod.Metadata.Name);
            }

            // Only pods seen in this listing: the order above must not miss a step.
            await MarkReady(pods);
            return order.Count == 2 && pods.Count == 3 && pods.All(IsReady);
        }, "db-2 and db-1 updated", Deadline);

        // The marker: the status of a sync that saw the two updated and all three ready; db-0, below the partition, stays.
        V1StatefulSetStatus status = null!;
        await Eventually(async () => (status = (await Client.AppsV1.ReadNamespacedStatefulSetAsync("db", "default")).Status).UpdatedReplicas == 2 && status.ReadyReplicas == 3, "status of the partitioned rollout", Deadline);
        Assert.Equal(["db-2", "db-1"], order);
        List<V1Pod> after = await PodsOf("db");
        Assert.Equal(db0, after[0].Metadata.Uid);
        Assert.Equal("busybox:1.35", after[0].Spec.Containers[0].Image);
        Assert.Equal(before.CurrentRevision, status.CurrentRevision);
        Assert.NotEqual(status.CurrentRevision, status.UpdateRevision);
        Assert.Equal(1, status.CurrentReplicas);
        Assert.Equal(before.CurrentRevision, after[0].Metadata.Labels["controller-revision-hash"]);
        Assert.All(after.Skip(1), p => Assert.Equal(status.UpdateRevision, p.Metadata.Labels["controller-revision-hash"]));

        List<V1ControllerRevision> revisions = (await Client.AppsV1.ListNamespacedControllerRevisionAsync("default")).Items
            .Where(r => r.Metadata.OwnerReferences?.Any(o => o.Uid == set.Metadata.Uid && o.Controller == true) == true)
            .OrderBy(r => r.Revision).ToList();
        Assert.Equal([before.CurrentRevision, status.UpdateRevision], revisions.Select(r => r.Metadata.Name));
        Assert.Equal([1L, 2L], revisions.Select(r => r.Revision ?? 0));
        Assert.All(revisions, r => Assert.Equal(r.Metadata.Name, "db-" + r.Metadata.Labels["controller.kubernetes.io/hash"]));

        // Lowering the partition to 0 finishes the rollout: the update revision becomes current.
        await Client.AppsV1.PatchNamespacedStatefulSetAsync(new V1Patch("{\"spec\":{\"updateStrategy\":{\"rollingUpdate\":{\"partition\":0}}}}", V1Patch.PatchType.MergePatch), "db", "default");
        await Eventually(async () =>
        {
            await MarkAllReady("db");
            V1StatefulSetStatus s = (await Client.AppsV1.ReadNamespacedStatefulSetAsync("db", "default")).Status;
            return s.CurrentRevision == s.UpdateRevision && s.UpdatedReplicas == 3 && s.ReadyReplicas == 3;
        }, "the rollout to finish", Deadline);
        Assert.NotEqual(db0, (await PodsOf("db"))[0].Metadata.Uid);

        // Settled: the controller writes nothing more.
        string version = (await Client.AppsV1.ReadNamespacedStatefulSetAsync("db", "default")).Metadata.ResourceVersion;
        // A write that does not happen has no event to await: a second of quiet is the check.
        await Task.Delay(1000);
        Assert.Equal(version, (await Client.AppsV1.ReadNamespacedStatefulSetAsync("db", "default")).Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Parallel_creates_every_ordinal_at_once_from_the_start_ordinal_and_recreates_a_failed_pod()
    {
        V1StatefulSet spec = StatefulSet("par", 3);
        spec.Spec.PodManagementPolicy = "Parallel";
        spec.Spec.VolumeClaimTemplates = null;
        spec.Spec.Ordinals = new V1StatefulSetOrdinals { Start = 5 };
        await Client.AppsV1.CreateNamespacedStatefulSetAsync(spec, "default");
        await Eventually(async () => (await NamesOf("par")).Length == 3, "3 pods without any being ready", Deadline);
        Assert.Equal(["par-5", "par-6", "par-7"], await NamesOf("par"));

        V1Pod failed = (await PodsOf("par"))[1];
        failed.Status = new V1PodStatus { Phase = "Failed" };
        await Client.CoreV1.ReplaceNamespacedPodStatusAsync(failed, failed.Metadata.Name, "default");
        await Eventually(async () => (await PodsOf("par")).Any(p => p.Metadata.Name == "par-6" && p.Metadata.Uid != failed.Metadata.Uid), "par-6 recreated", Deadline);
        Assert.Equal(["par-5", "par-6", "par-7"], await NamesOf("par"));
    }
}
