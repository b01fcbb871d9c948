using k8s;
using k8s.Models;

namespace Navarch.Controllers.Tests;

/// <summary>The ReplicaSet controller against a real API server. No kubelet runs: the test plays it, setting pod status.</summary>
[Trait("Category", "Integration")]
public sealed class ReplicaSetTests : ControllerCluster
{
    private async Task<List<V1Pod>> PodsOf(string name) =>
        (await Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: $"rs={name}")).Items.Where(p => p.Metadata.DeletionTimestamp is null).ToList();

    private async Task WaitForPods(string name, int count) =>
        await Eventually(
            async () =>
            {
                if ((await PodsOf(name)).Count != count)
                {
                    return false;
                }

                // Stable: no further creates or deletes are on their way. Nothing marks "the controller is done", so
                // the count has to hold over a short window.
                await Task.Delay(300);
                return (await PodsOf(name)).Count == count;
            },
            $"{name} has {count} pods",
            TimeSpan.FromSeconds(20),
            detail: async () => $"has {(await PodsOf(name)).Count}");

    [Fact]
    public async Task Creates_replaces_scales_down_and_adopts_to_match_replicas()
    {
        V1ReplicaSet rs = await Client.AppsV1.CreateNamespacedReplicaSetAsync(TestObjects.ReplicaSet("web", 3), "default");
        await WaitForPods("web", 3);
        List<V1Pod> pods = await PodsOf("web");
        Assert.All(pods, p => Assert.Equal(rs.Metadata.Uid, Assert.Single(p.Metadata.OwnerReferences).Uid));
        Assert.All(pods, p => Assert.StartsWith("web-", p.Metadata.Name, StringComparison.Ordinal));

        // A deleted pod is replaced.
        await Client.CoreV1.DeleteNamespacedPodAsync(pods[0].Metadata.Name, "default");
        await WaitForPods("web", 3);
        Assert.DoesNotContain(await PodsOf("web"), p => p.Metadata.Name == pods[0].Metadata.Name);

        // Scaling down deletes the surplus.
        await Client.AppsV1.PatchNamespacedReplicaSetScaleAsync(new V1Patch("{\"spec\":{\"replicas\":1}}", V1Patch.PatchType.MergePatch), "web", "default");
        await WaitForPods("web", 1);

        // Each create and delete is an Event on the ReplicaSet, as `kubectl describe rs` shows them.
        await Eventually(
            async () =>
            {
                var events = (await Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: $"involvedObject.uid={rs.Metadata.Uid}")).Items;
                // 3 + 1 replacement created; 2 deleted by the scale-down (the test deleted the other itself).
                return events.Where(e => e.Reason == "SuccessfulCreate").Sum(e => e.Count ?? 1) == 4
                    && events.Where(e => e.Reason == "SuccessfulDelete").Sum(e => e.Count ?? 1) == 2
                    && events.All(e => e.Source?.Component == "replicaset-controller" && e.InvolvedObject.Kind == "ReplicaSet")
                    && !events.Any(e => e.Message == $"Deleted pod: {pods[0].Metadata.Name}");
            },
            "the ReplicaSet has 4 SuccessfulCreate and 2 SuccessfulDelete events");

    }

    [Fact]
    public async Task A_matching_orphan_is_adopted_instead_of_creating_a_pod()
    {
        await Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "orphan", Labels = new Dictionary<string, string> { ["rs"] = "adopter" } },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
        }, "default");

        // Time for the orphan to reach the controller's pod cache before its ReplicaSet does: the cache is not visible.
        await Task.Delay(200);
        V1ReplicaSet rs = await Client.AppsV1.CreateNamespacedReplicaSetAsync(TestObjects.ReplicaSet("adopter", 1), "default");
        await WaitForPods("adopter", 1);
        V1Pod orphan = await Client.CoreV1.ReadNamespacedPodAsync("orphan", "default");
        Assert.Equal(rs.Metadata.Uid, Assert.Single(orphan.Metadata.OwnerReferences).Uid);
        Assert.True(orphan.Metadata.OwnerReferences[0].Controller);
    }

    [Fact]
    public async Task Status_counts_ready_pods_as_the_kubelet_reports_them()
    {
        await Client.AppsV1.CreateNamespacedReplicaSetAsync(TestObjects.ReplicaSet("status", 2), "default");
        await WaitForPods("status", 2);
        foreach (V1Pod pod in await PodsOf("status"))
        {
            pod.Status = new V1PodStatus
            {
                Phase = "Running",
                Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = DateTime.UtcNow.AddMinutes(-1) }],
            };
            await Client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, pod.Metadata.Name, "default");
        }

        V1ReplicaSetStatus status = await Eventually(async () => (await Client.AppsV1.ReadNamespacedReplicaSetAsync("status", "default")).Status, s => s?.ReadyReplicas == 2, "2 ready replicas");
        Assert.Equal(2, status.Replicas);
        Assert.Equal(2, status.ReadyReplicas);
        Assert.Equal(2, status.AvailableReplicas);
        Assert.Equal(2, status.FullyLabeledReplicas);
        Assert.Equal(1, status.ObservedGeneration);
    }
}
