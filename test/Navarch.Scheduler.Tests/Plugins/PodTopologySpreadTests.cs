using k8s.Models;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.PodTopologySpread;
using static Navarch.Scheduler.Tests.Fixtures;

namespace Navarch.Scheduler.Tests.Plugins;

[Trait("Category", "Unit")]
public sealed class PodTopologySpreadTests
{
    /// <summary>Zones a (2 matching pods), b (1), and c (0, on a node given only when asked).</summary>
    private static List<NodeInfo> Cluster(bool withZoneC)
    {
        var app = Labels("app=web");
        var nodes = new List<NodeInfo>
        {
            Info(Node("a1", labels: Labels("topology.kubernetes.io/zone=a")), Pod("w1", labels: app), Pod("w2", labels: app)),
            Info(Node("b1", labels: Labels("topology.kubernetes.io/zone=b")), Pod("w3", labels: app), Pod("other", labels: Labels("app=db"))),
        };
        if (withZoneC)
        {
            nodes.Add(Info(Node("c1", labels: Labels("topology.kubernetes.io/zone=c"))));
        }

        nodes.Add(Info(Node("nolabel")));
        return nodes;
    }

    public static TheoryData<int, int, bool, string, StatusCode> Cases => new()
    {
        { 1, 1, false, "a1", StatusCode.Unschedulable },   // a: 2+1-1 = 2 > 1
        { 1, 1, false, "b1", StatusCode.Success },         // b: 1+1-1 = 1
        { 2, 1, false, "a1", StatusCode.Success },
        { 1, 1, true, "b1", StatusCode.Unschedulable },    // min is zone c's 0
        { 1, 1, true, "c1", StatusCode.Success },
        { 1, 3, false, "b1", StatusCode.Unschedulable },   // 2 domains < minDomains 3: min counts as 0
        { 1, 1, false, "nolabel", StatusCode.UnschedulableAndUnresolvable },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void DoNotSchedule(int maxSkew, int minDomains, bool withZoneC, string node, StatusCode want)
    {
        List<NodeInfo> nodes = Cluster(withZoneC);
        V1Pod pod = Pod(labels: Labels("app=web"));
        pod.Spec.TopologySpreadConstraints =
        [
            new V1TopologySpreadConstraint { MaxSkew = maxSkew, TopologyKey = "topology.kubernetes.io/zone", WhenUnsatisfiable = "DoNotSchedule", MinDomains = minDomains, LabelSelector = new V1LabelSelector { MatchLabels = Labels("app=web") } },
        ];
        var plugin = new PodTopologySpreadPlugin();
        var state = new CycleState();
        Assert.True(plugin.PreFilter(state, pod, nodes).IsSuccess);
        Assert.Equal(want, plugin.Filter(state, pod, nodes.Single(n => n.Name == node)).Code);
    }

    [Fact]
    public void MatchLabelKeysNarrowTheSelector()
    {
        // w1 and w2 are revision 1; the pod is revision 2: with matchLabelKeys only revision 2 counts, so zone a is fine.
        var nodes = new List<NodeInfo>
        {
            Info(Node("a1", labels: Labels("topology.kubernetes.io/zone=a")), Pod("w1", labels: Labels("app=web", "rev=1")), Pod("w2", labels: Labels("app=web", "rev=1"))),
            Info(Node("b1", labels: Labels("topology.kubernetes.io/zone=b"))),
        };
        V1Pod pod = Pod(labels: Labels("app=web", "rev=2"));
        pod.Spec.TopologySpreadConstraints =
        [
            new V1TopologySpreadConstraint { MaxSkew = 1, TopologyKey = "topology.kubernetes.io/zone", WhenUnsatisfiable = "DoNotSchedule", MatchLabelKeys = ["rev"], LabelSelector = new V1LabelSelector { MatchLabels = Labels("app=web") } },
        ];
        var plugin = new PodTopologySpreadPlugin();
        var state = new CycleState();
        plugin.PreFilter(state, pod, nodes);
        Assert.True(plugin.Filter(state, pod, nodes[0]).IsSuccess);
    }

    [Fact]
    public void ScheduleAnywayAndSystemDefaultsPreferEmptierDomains()
    {
        List<NodeInfo> nodes = Cluster(withZoneC: true).Where(n => n.Name != "nolabel").ToList();

        // No constraints: the system defaults (hostname, zone) apply over the selector of the Service selecting the pod.
        V1Pod pod = Pod(labels: Labels("app=web", "pod-template-hash=abc"));
        var plugin = new PodTopologySpreadPlugin(p => DefaultSpreadSelector.Build(p, [Labels("app=web")], []));
        var state = new CycleState();
        Assert.Equal(StatusCode.Skip, plugin.PreFilter(state, pod, nodes).Code);
        Assert.True(plugin.PreScore(state, pod, nodes, nodes).IsSuccess);
        long[] scores = nodes.Select(n => plugin.Score(state, pod, n)).ToArray();
        plugin.NormalizeScore(state, pod, scores);
        Assert.True(scores[2] > scores[1] && scores[1] > scores[0], string.Join(",", scores));
    }

    [Fact]
    public void APodNothingSelectsGetsNoDefaultSpreading()
    {
        V1Pod pod = Pod(labels: Labels("app=web"));
        Func<V1Pod, V1LabelSelector?> selector = p => DefaultSpreadSelector.Build(p, [Labels("app=db"), new Dictionary<string, string>(), null], [null]);
        Assert.Empty(PodTopologySpreadPlugin.Constraints(pod, hard: false, selector));
        Assert.Equal(StatusCode.Skip, new PodTopologySpreadPlugin(selector).PreScore(new CycleState(), pod, [], []).Code);
    }

    [Fact]
    public void TheDefaultSelectorMergesEveryServiceAndControllerSelectingThePod()
    {
        V1Pod pod = Pod(labels: Labels("app=web", "tier=front", "pod-template-hash=abc"));
        V1LabelSelector? selector = DefaultSpreadSelector.Build(
            pod,
            [Labels("app=web"), Labels("app=db")],
            [
                new V1LabelSelector { MatchLabels = Labels("tier=front", "pod-template-hash=abc") },
                new V1LabelSelector { MatchExpressions = [new V1LabelSelectorRequirement { Key = "app", OperatorProperty = "In", Values = ["web", "api"] }] },
                new V1LabelSelector { MatchLabels = Labels("app=other") },
            ]);
        Assert.NotNull(selector);
        Assert.Equal(Labels("app=web", "tier=front", "pod-template-hash=abc"), selector.MatchLabels);
        Assert.Equal("app", Assert.Single(selector.MatchExpressions).Key);
        List<SpreadConstraint> defaults = PodTopologySpreadPlugin.Constraints(pod, hard: false, _ => selector);
        Assert.Equal(["kubernetes.io/hostname", "topology.kubernetes.io/zone"], defaults.Select(c => c.TopologyKey));
        Assert.Equal([3, 5], defaults.Select(c => c.MaxSkew));
    }

    [Theory]
    [InlineData(null, "b1", StatusCode.Unschedulable)]     // Ignore (default): tainted zone c's 0 is the minimum
    [InlineData("Ignore", "b1", StatusCode.Unschedulable)]
    [InlineData("Honor", "b1", StatusCode.Success)]        // Honor: zone c is not counted, b's 1 is the minimum
    public void NodeTaintsPolicyDecidesWhetherUntoleratedNodesCount(string? policy, string node, StatusCode want)
    {
        List<NodeInfo> nodes = Cluster(withZoneC: false);
        nodes.Add(Info(Node("c1", labels: Labels("topology.kubernetes.io/zone=c"), taints: [new V1Taint { Key = "dedicated", Value = "x", Effect = "NoSchedule" }])));
        V1Pod pod = Pod(labels: Labels("app=web"));
        pod.Spec.TopologySpreadConstraints =
        [
            new V1TopologySpreadConstraint { MaxSkew = 1, TopologyKey = "topology.kubernetes.io/zone", WhenUnsatisfiable = "DoNotSchedule", NodeTaintsPolicy = policy, LabelSelector = new V1LabelSelector { MatchLabels = Labels("app=web") } },
        ];
        var plugin = new PodTopologySpreadPlugin();
        var state = new CycleState();
        Assert.True(plugin.PreFilter(state, pod, nodes).IsSuccess);
        Assert.Equal(want, plugin.Filter(state, pod, nodes.Single(n => n.Name == node)).Code);
    }

    [Theory]
    [InlineData(null, StatusCode.Success)]               // Honor (default): only zone a and b nodes count; b's 1 is the minimum
    [InlineData("Ignore", StatusCode.Unschedulable)]     // Ignore: zone c (outside the pod's affinity) counts with 0
    public void NodeAffinityPolicyDecidesWhetherNodesOutsideTheAffinityCount(string? policy, StatusCode want)
    {
        List<NodeInfo> nodes = Cluster(withZoneC: true).Where(n => n.Name != "nolabel").ToList();
        V1Pod pod = Pod(labels: Labels("app=web"));
        pod.Spec.NodeSelector = new Dictionary<string, string>();
        pod.Spec.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                {
                    NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "topology.kubernetes.io/zone", OperatorProperty = "In", Values = ["a", "b"] }] }],
                },
            },
        };
        pod.Spec.TopologySpreadConstraints =
        [
            new V1TopologySpreadConstraint { MaxSkew = 1, TopologyKey = "topology.kubernetes.io/zone", WhenUnsatisfiable = "DoNotSchedule", NodeAffinityPolicy = policy, LabelSelector = new V1LabelSelector { MatchLabels = Labels("app=web") } },
        ];
        var plugin = new PodTopologySpreadPlugin();
        var state = new CycleState();
        Assert.True(plugin.PreFilter(state, pod, nodes).IsSuccess);
        Assert.Equal(want, plugin.Filter(state, pod, nodes.Single(n => n.Name == "b1")).Code);
    }
}
