using k8s;
using k8s.Models;
using static Navarch.Scheduler.Tests.Fixtures;

namespace Navarch.Scheduler.Tests;

[Trait("Category", "Integration")]
public sealed class SchedulerIntegrationTests : SchedulerCluster
{
    private const string Zone = "topology.kubernetes.io/zone";

    [Fact]
    public async Task BindsPodsAndRecordsScheduledEvents()
    {
        await CreateNodeAsync(Node("n1"));
        await CreatePodAsync(Pod("web", "100m"));
        V1Pod pod = await WaitBoundAsync("web");
        Assert.Equal("n1", pod.Spec.NodeName);
        await Eventually(
            async () => (await Client.CoreV1.ListNamespacedEventAsync("default")).Items.Any(e => e.Reason == "Scheduled" && e.Message == "Successfully assigned default/web to n1"),
            "the Scheduled event is recorded");
    }

    [Fact]
    public async Task SpreadsAcrossZones()
    {
        foreach (string z in new[] { "a", "b", "c" })
        {
            await CreateNodeAsync(Node($"node-{z}", labels: Labels($"{Zone}={z}")));
        }

        for (int i = 0; i < 6; i++)
        {
            V1Pod pod = Pod($"web-{i}", "100m", labels: Labels("app=web"));
            pod.Spec.TopologySpreadConstraints = [new V1TopologySpreadConstraint { MaxSkew = 1, TopologyKey = Zone, WhenUnsatisfiable = "DoNotSchedule", LabelSelector = new V1LabelSelector { MatchLabels = Labels("app=web") } }];
            await CreatePodAsync(pod);
        }

        IList<V1Pod> pods = await WaitAllBoundAsync(6);
        Assert.All(pods.GroupBy(p => p.Spec.NodeName), g => Assert.Equal(2, g.Count()));
    }

    [Fact]
    public async Task RespectsTaintsResourcesAndPlacesOnceANodeFits()
    {
        await CreateNodeAsync(Node("tainted", cpu: "8", taints: [new V1Taint { Key = "dedicated", Value = "gpu", Effect = "NoSchedule" }]));
        await CreateNodeAsync(Node("small-1", cpu: "1"));
        await CreateNodeAsync(Node("small-2", cpu: "1"));
        await CreatePodAsync(Pod("big", "2"));
        const string message = "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.";
        await Eventually(
            async () => (await Client.CoreV1.ReadNamespacedPodAsync("big", "default")).Status?.Conditions?.Any(c => c is { Type: "PodScheduled", Status: "False", Reason: "Unschedulable" } && c.Message == message) == true,
            "the pod is marked unschedulable");
        await Eventually(
            async () => (await Client.CoreV1.ListNamespacedEventAsync("default")).Items.Any(e => e.Reason == "FailedScheduling" && e.Message == message),
            "FailedScheduling is recorded");

        // A node that fits appears: the parked pod is tried again at once.
        await CreateNodeAsync(Node("large", cpu: "4"));
        Assert.Equal("large", (await WaitBoundAsync("big", 5)).Spec.NodeName);
    }

    [Fact]
    public async Task NodeAffinityAndPodAntiAffinity()
    {
        await CreateNodeAsync(Node("a1", labels: Labels($"{Zone}=a")));
        await CreateNodeAsync(Node("b1", labels: Labels($"{Zone}=b")));
        await CreateNodeAsync(Node("b2", labels: Labels($"{Zone}=b")));
        for (int i = 0; i < 2; i++)
        {
            V1Pod pod = Pod($"db-{i}", "100m", labels: Labels("app=db"));
            pod.Spec.Affinity = new V1Affinity
            {
                NodeAffinity = new V1NodeAffinity
                {
                    RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                    {
                        NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = Zone, OperatorProperty = "In", Values = ["b"] }] }],
                    },
                },
                PodAntiAffinity = new V1PodAntiAffinity
                {
                    RequiredDuringSchedulingIgnoredDuringExecution = [new V1PodAffinityTerm { TopologyKey = "kubernetes.io/hostname", LabelSelector = new V1LabelSelector { MatchLabels = Labels("app=db") } }],
                },
            };
            await CreatePodAsync(pod);
        }

        IList<V1Pod> pods = await WaitAllBoundAsync(2);
        Assert.Equal(["b1", "b2"], pods.Select(p => p.Spec.NodeName).Order());

        // Pod affinity: a cache next to a db pod's zone.
        V1Pod cache = Pod("cache", "100m");
        cache.Spec.Affinity = new V1Affinity
        {
            PodAffinity = new V1PodAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = [new V1PodAffinityTerm { TopologyKey = Zone, LabelSelector = new V1LabelSelector { MatchLabels = Labels("app=db") } }],
            },
        };
        await CreatePodAsync(cache);
        Assert.StartsWith("b", (await WaitBoundAsync("cache")).Spec.NodeName, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HighPriorityPodPreemptsALowOne()
    {
        await Client.SchedulingV1.CreatePriorityClassAsync(new V1PriorityClass { Metadata = new V1ObjectMeta { Name = "low" }, Value = 10 });
        await Client.SchedulingV1.CreatePriorityClassAsync(new V1PriorityClass { Metadata = new V1ObjectMeta { Name = "high" }, Value = 1000 });
        await CreateNodeAsync(Node("only", cpu: "2"));
        V1Pod low = Pod("low", "2");
        low.Spec.PriorityClassName = "low";
        await CreatePodAsync(low);
        await WaitBoundAsync("low");

        V1Pod high = Pod("high", "2");
        high.Spec.PriorityClassName = "high";
        await CreatePodAsync(high);

        // No kubelet: finish the victim's graceful deletion as a kubelet would.
        await Eventually(async () => (await Client.CoreV1.ReadNamespacedPodAsync("low", "default")).Metadata.DeletionTimestamp is not null, "the low pod is being deleted");
        Assert.Equal("only", (await Client.CoreV1.ReadNamespacedPodAsync("high", "default")).Status?.NominatedNodeName);
        await Client.CoreV1.DeleteNamespacedPodAsync("low", "default", gracePeriodSeconds: 0);
        Assert.Equal("only", (await WaitBoundAsync("high")).Spec.NodeName);
    }

    [Fact]
    public async Task PodsForOtherSchedulersAreLeftAlone()
    {
        await CreateNodeAsync(Node("n1"));
        V1Pod other = Pod("other");
        other.Spec.SchedulerName = "someone-else";
        await CreatePodAsync(other);
        await CreatePodAsync(Pod("mine"));
        // The marker: "mine", queued after "other", is bound, so the scheduler has already passed "other" by.
        await WaitBoundAsync("mine");
        Assert.Null((await Client.CoreV1.ReadNamespacedPodAsync("other", "default")).Spec.NodeName);
    }
}
