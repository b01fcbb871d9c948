using k8s.Models;
using Navarch.Scheduler.Cache;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.ImageLocality;
using static Navarch.Scheduler.Tests.Fixtures;

namespace Navarch.Scheduler.Tests.Plugins;

[Trait("Category", "Unit")]
public sealed class ImageLocalityTests
{
    [Theory]
    [InlineData("big:1", 1, 48)] // 1000 MB on one of two nodes counts as 500 MB: (500-23)/(1000-23)
    [InlineData("big:1", 2, 100)]
    [InlineData("busybox", 2, 100)] // "busybox" means busybox:latest
    [InlineData("none", 2, 0)]
    public void ScoresBySizeAndSpread(string image, int nodesWithImage, long want)
    {
        const long mb = 1024 * 1024;
        string present = image == "busybox" ? "busybox:latest" : "big:1";
        var nodes = new List<NodeInfo>();
        for (int i = 0; i < 2; i++)
        {
            V1Node n = Node($"n{i}");
            if (i < nodesWithImage)
            {
                n.Status.Images = [new V1ContainerImage { Names = [present], SizeBytes = 1000 * mb }];
            }

            nodes.Add(new NodeInfo(n));
        }

        var plugin = new ImageLocalityPlugin(new FrameworkHandle { Snapshot = Snapshot.From(nodes) });
        V1Pod pod = Pod();
        pod.Spec.Containers[0].Image = image;
        Assert.Equal(want, plugin.Score(new CycleState(), pod, nodes[0]));
    }
}
