using k8s;
using k8s.Models;

namespace Navarch.Controllers.Tests;

/// <summary>Node IPAM against a real API server, over a cluster CIDR with room for four /24s.</summary>
[Trait("Category", "Integration")]
public sealed class NodeIpamTests : ControllerCluster
{
    protected override ControllerManagerOptions Options => new() { ClusterCidr = "10.42.0.0/22" };

    private async Task<string> CidrOf(string node)
    {
        string? cidr = null;
        await Eventually(async () => (cidr = (await Client.CoreV1.ReadNodeAsync(node)).Spec?.PodCIDR) is not null, $"{node} has a pod CIDR");
        V1Node read = await Client.CoreV1.ReadNodeAsync(node);
        Assert.Equal([cidr!], read.Spec.PodCIDRs);
        return cidr!;
    }

    private Task AddNode(string name) => Client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = name } });

    [Fact]
    public async Task Nodes_get_distinct_subnets_and_a_released_one_is_reused()
    {
        foreach (string name in new[] { "a", "b", "c" })
        {
            await AddNode(name);
        }

        string[] cidrs = [await CidrOf("a"), await CidrOf("b"), await CidrOf("c")];
        Assert.Equal(3, cidrs.Distinct().Count());
        Assert.All(cidrs, c => Assert.Matches(@"^10\.42\.[0-3]\.0/24$", c));

        await Client.CoreV1.DeleteNodeAsync("b");
        await AddNode("d");
        string fourth = await CidrOf("d");
        Assert.DoesNotContain(fourth, cidrs);

        // Every subnet has been handed out once: the next node gets the one b released.
        await AddNode("e");
        Assert.Equal(cidrs[1], await CidrOf("e"));

        // The range is exhausted: f waits without one (and an event says so) until a node goes.
        await AddNode("f");
        await Eventually(async () => (await Client.CoreV1.ListNamespacedEventAsync("default")).Items.Any(e => e.Reason == "CIDRNotAvailable" && e.InvolvedObject.Name == "f"), "a CIDRNotAvailable event is recorded");
        Assert.Null((await Client.CoreV1.ReadNodeAsync("f")).Spec?.PodCIDR);
        await Client.CoreV1.DeleteNodeAsync("a");
        Assert.Equal(cidrs[0], await CidrOf("f"));
    }
}
