using k8s.Models;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.NodeResourcesBalancedAllocation;
using Navarch.Scheduler.Plugins.NodeResourcesFit;
using static Navarch.Scheduler.Tests.Fixtures;

namespace Navarch.Scheduler.Tests.Plugins;

[Trait("Category", "Unit")]
public sealed class NodeResourcesFitTests
{
    public static TheoryData<string, string, int, string[]> FitCases => new()
    {
        { "1", "1Gi", 110, [] },
        { "3", "1Gi", 110, [] },
        { "3500m", "1Gi", 110, ["Insufficient cpu"] },
        { "1", "7Gi", 110, ["Insufficient memory"] },
        { "4", "8Gi", 110, ["Insufficient cpu", "Insufficient memory"] },
        { "1", "1Gi", 1, ["Too many pods"] },
    };

    [Theory]
    [MemberData(nameof(FitCases))]
    public void Filter(string cpu, string memory, int maxPods, string[] reasons)
    {
        // The node has 4 cpu and 8Gi, of which one existing pod uses 1 cpu and 2Gi.
        NodeInfo node = Info(Node("n1", pods: maxPods), Pod("existing", "1", "2Gi"));
        V1Pod pod = Pod("p", cpu, memory);
        var plugin = new NodeResourcesFitPlugin(new NodeResourcesFitArgs());
        var state = new CycleState();
        plugin.PreFilter(state, pod, [node]);
        Status s = plugin.Filter(state, pod, node);
        Assert.Equal(reasons, s.Reasons);
    }

    [Fact]
    public void ExtendedResources()
    {
        NodeInfo node = Info(Node("n1", extra: new Dictionary<string, string> { ["example.com/gpu"] = "2" }));
        V1Pod pod = Pod();
        pod.Spec.Containers[0].Resources.Requests["example.com/gpu"] = new ResourceQuantity("3");
        var plugin = new NodeResourcesFitPlugin(new NodeResourcesFitArgs());
        Assert.Equal(["Insufficient example.com/gpu"], plugin.Filter(new CycleState(), pod, node).Reasons);
        pod.Spec.Containers[0].Resources.Requests["example.com/gpu"] = new ResourceQuantity("2");
        Assert.True(plugin.Filter(new CycleState(), pod, node).IsSuccess);
    }

    public static TheoryData<string, long> RequestCases => new()
    {
        // containers 1+1 cpu; an init container of 3 cpu dominates.
        { "plain", 2000 },
        { "init", 3000 },
        // sidecar 500m is added to the containers (2500) and precedes the 3-cpu init container (3500 peak).
        { "sidecar", 3500 },
        { "overhead", 2250 },
    };

    [Theory]
    [MemberData(nameof(RequestCases))]
    public void PodRequestsCountInitContainersSidecarsAndOverhead(string shape, long milliCpu)
    {
        V1Pod pod = Pod(cpu: "1");
        pod.Spec.Containers.Add(new V1Container { Name = "c2", Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1") } } });
        static V1Container Init(string name, string cpu, string? restart = null) => new() { Name = name, RestartPolicy = restart, Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu) } } };
        switch (shape)
        {
            case "init":
                pod.Spec.InitContainers = [Init("i", "3")];
                break;
            case "sidecar":
                pod.Spec.InitContainers = [Init("s", "500m", "Always"), Init("i", "3")];
                break;
            case "overhead":
                pod.Spec.Overhead = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("250m") };
                break;
        }

        Assert.Equal(milliCpu, PodRequests.Compute(pod).MilliCpu);
    }

    public static TheoryData<string, long, long> ScoreCases => new()
    {
        // Node 4 cpu / 8Gi with 1 cpu / 2Gi used; the pod asks 1 cpu / 2Gi: 50% used after placing (25% on an empty node).
        { "LeastAllocated", 50, 75 },
        { "MostAllocated", 50, 25 },
        { "RequestedToCapacityRatio", 50, 75 },
    };

    [Theory]
    [MemberData(nameof(ScoreCases))]
    public void Strategies(string strategy, long busy, long idle)
    {
        var plugin = new NodeResourcesFitPlugin(new NodeResourcesFitArgs { ScoringStrategy = new ScoringStrategy { Type = strategy } });
        V1Pod pod = Pod("p", "1", "2Gi");
        NodeInfo half = Info(Node("a"), Pod("e", "1", "2Gi"));
        NodeInfo empty = Info(Node("b"));
        long halfScore = plugin.Score(new CycleState(), pod, half);
        long emptyScore = plugin.Score(new CycleState(), pod, empty);
        Assert.Equal(busy, halfScore);
        Assert.Equal(idle, emptyScore);
    }

    [Fact]
    public void UnknownStrategyIsRejected() =>
        Assert.Throws<InvalidDataException>(() => new NodeResourcesFitPlugin(new NodeResourcesFitArgs { ScoringStrategy = new ScoringStrategy { Type = "Random" } }));

    [Theory]
    [InlineData("1", "2Gi", 100)]
    [InlineData("2", "1Gi", 81)]
    public void BalancedAllocation(string cpu, string memory, long want)
    {
        // After placing: cpu and memory shares of a 4 cpu / 8Gi node.
        long score = new BalancedAllocationPlugin().Score(new CycleState(), Pod("p", cpu, memory), Info(Node("n")));
        Assert.Equal(want, score);
    }
}
