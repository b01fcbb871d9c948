using k8s;
using k8s.Models;

namespace Navarch.Controllers.Tests;

/// <summary>PodGC against a real API server, with a short quarantine and period and a small terminated-pod threshold.</summary>
[Trait("Category", "Integration")]
public sealed class PodGCTests : ControllerCluster
{
    protected override ControllerManagerOptions Options => new()
    {
        TerminatedPodGCThreshold = 2,
        PodGCQuarantine = TimeSpan.FromMilliseconds(500),
        PodGCPeriod = TimeSpan.FromMilliseconds(300),
    };

    private static V1Pod Pod(string name, string? node = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["test"] = "podgc" } },
        Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
    };

    private async Task<List<string>> PodNames() =>
        (await Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "test=podgc")).Items.Select(p => p.Metadata.Name).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task Pods_on_a_node_that_does_not_exist_are_force_deleted()
    {
        await Client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "real" } });
        await Client.CoreV1.CreateNamespacedPodAsync(Pod("on-real", "real"), "default");
        await Client.CoreV1.CreateNamespacedPodAsync(Pod("on-ghost", "ghost"), "default");
        await Client.CoreV1.CreateNamespacedPodAsync(Pod("terminating-on-ghost", "ghost"), "default");
        // Deleted gracefully: it waits for a kubelet that will never come.
        await Client.CoreV1.DeleteNamespacedPodAsync("terminating-on-ghost", "default");
        Assert.NotNull((await Client.CoreV1.ReadNamespacedPodAsync("terminating-on-ghost", "default")).Metadata.DeletionTimestamp);

        await Eventually(async () => (await PodNames()).SequenceEqual(["on-real"]), "only the pod on the real node is left");
    }

    [Fact]
    public async Task Terminated_pods_over_the_threshold_are_deleted_oldest_first()
    {
        for (int i = 0; i < 4; i++)
        {
            V1Pod pod = await Client.CoreV1.CreateNamespacedPodAsync(Pod($"done-{i}"), "default");
            pod.Status = new V1PodStatus { Phase = i % 2 == 0 ? "Succeeded" : "Failed" };
            await Client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, pod.Metadata.Name, "default");
        }

        await Client.CoreV1.CreateNamespacedPodAsync(Pod("running"), "default");
        await Eventually(async () => (await PodNames()).Count == 3, "two terminated pods are deleted");
        // No more than two go: an absence, so a window after the two deletions.
        await Task.Delay(700);
        Assert.Equal(["done-2", "done-3", "running"], await PodNames());
    }
}
