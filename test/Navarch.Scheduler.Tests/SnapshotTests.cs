using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Navarch.Scheduler.Cache;
using Navarch.Scheduler.Framework;
using static Navarch.Scheduler.Tests.Fixtures;

namespace Navarch.Scheduler.Tests;

[Trait("Category", "Unit")]
public sealed class SnapshotTests
{
    private static V1Pod AntiAffinityPod(string name)
    {
        V1Pod pod = Pod(name, labels: Labels("app", "db"));
        pod.Spec.Affinity = new V1Affinity
        {
            PodAntiAffinity = new V1PodAntiAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution =
                [
                    new V1PodAffinityTerm { TopologyKey = "kubernetes.io/hostname", LabelSelector = new V1LabelSelector { MatchLabels = Labels("app", "db") } },
                ],
            },
        };
        return pod;
    }

    [Fact]
    public void A_changed_node_is_swapped_in_place_and_the_others_are_not_copied()
    {
        var cache = new SchedulerCache(new FakeTimeProvider(), TimeSpan.FromSeconds(30));
        foreach (string name in new[] { "c", "a", "b" })
        {
            cache.AddOrUpdateNode(Node(name));
        }

        var snapshot = new Snapshot();
        cache.UpdateSnapshot(snapshot);
        Assert.Equal(["a", "b", "c"], snapshot.Nodes.Select(n => n.Name));
        NodeInfo a = snapshot.Nodes[0], b = snapshot.Nodes[1], c = snapshot.Nodes[2];

        cache.AssumePod(Pod("p1", cpu: "1"), "b");
        cache.UpdateSnapshot(snapshot);
        Assert.Equal(["a", "b", "c"], snapshot.Nodes.Select(n => n.Name));
        Assert.Same(a, snapshot.Nodes[0]);
        Assert.NotSame(b, snapshot.Nodes[1]);
        Assert.Same(c, snapshot.Nodes[2]);
        Assert.Equal("p1", Assert.Single(snapshot.Nodes[1].Pods).Pod.Metadata.Name);
        Assert.Same(snapshot.Nodes[1], snapshot.Get("b"));
        Assert.Empty(b.Pods);
        Assert.Empty(snapshot.NodesWithRequiredAntiAffinityPods);

        // A pod with required anti-affinity puts its node in the affinity lists; its removal takes it out again.
        cache.AssumePod(AntiAffinityPod("db-0"), "c");
        cache.UpdateSnapshot(snapshot);
        Assert.Equal("c", Assert.Single(snapshot.NodesWithRequiredAntiAffinityPods).Name);
        Assert.Same(snapshot.Nodes[2], snapshot.NodesWithRequiredAntiAffinityPods[0]);

        cache.RemoveNode("a");
        cache.AddOrUpdateNode(Node("d"));
        cache.UpdateSnapshot(snapshot);
        Assert.Equal(["b", "c", "d"], snapshot.Nodes.Select(n => n.Name));
        Assert.Null(snapshot.Get("a"));
    }

    [Fact]
    public void Image_counts_follow_a_node_whose_images_change()
    {
        V1Node Imaged(string name, params string[] images)
        {
            V1Node node = Node(name);
            node.Status.Images = images.Select(i => new V1ContainerImage { Names = [i], SizeBytes = 1_000_000 }).ToList();
            return node;
        }

        var cache = new SchedulerCache(new FakeTimeProvider(), TimeSpan.FromSeconds(30));
        cache.AddOrUpdateNode(Imaged("a", "busybox:1.35"));
        cache.AddOrUpdateNode(Imaged("b", "busybox:1.35", "nginx:1"));
        var snapshot = new Snapshot();
        cache.UpdateSnapshot(snapshot);
        Assert.Equal(2, snapshot.ImageNodeCounts["busybox:1.35"]);
        Assert.Equal(1, snapshot.ImageNodeCounts["nginx:1"]);

        cache.AddOrUpdateNode(Imaged("b", "busybox:1.35"));
        cache.UpdateSnapshot(snapshot);
        Assert.Equal(2, snapshot.ImageNodeCounts["busybox:1.35"]);
        Assert.False(snapshot.ImageNodeCounts.ContainsKey("nginx:1"));

        cache.AddOrUpdateNode(Imaged("a", "nginx:1"));
        cache.UpdateSnapshot(snapshot);
        Assert.Equal(1, snapshot.ImageNodeCounts["busybox:1.35"]);
        Assert.Equal(1, snapshot.ImageNodeCounts["nginx:1"]);
    }
}
