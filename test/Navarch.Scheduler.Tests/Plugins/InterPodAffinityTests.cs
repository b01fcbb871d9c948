using k8s.Models;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.InterPodAffinity;
using static Navarch.Scheduler.Tests.Fixtures;

namespace Navarch.Scheduler.Tests.Plugins;

[Trait("Category", "Unit")]
public sealed class InterPodAffinityTests
{
    private const string Zone = "topology.kubernetes.io/zone";

    private static V1PodAffinityTerm Term(string app, string key = Zone) =>
        new() { TopologyKey = key, LabelSelector = new V1LabelSelector { MatchLabels = Labels($"app={app}") } };

    private static List<NodeInfo> Cluster(V1Pod? existing = null) =>
    [
        Info(Node("a1", labels: Labels($"{Zone}=a")), existing ?? Pod("db", labels: Labels("app=db"))),
        Info(Node("a2", labels: Labels($"{Zone}=a"))),
        Info(Node("b1", labels: Labels($"{Zone}=b"))),
    ];

    public static TheoryData<string, string, string, StatusCode> RequiredCases => new()
    {
        { "affinity", "db", "a2", StatusCode.Success },
        { "affinity", "db", "b1", StatusCode.UnschedulableAndUnresolvable },
        { "affinity", "cache", "b1", StatusCode.UnschedulableAndUnresolvable },
        { "anti", "db", "a2", StatusCode.Unschedulable },
        { "anti", "db", "b1", StatusCode.Success },
        { "anti", "cache", "a1", StatusCode.Success },
    };

    [Theory]
    [MemberData(nameof(RequiredCases))]
    public void Required(string kind, string app, string node, StatusCode want)
    {
        V1Pod pod = Pod(labels: Labels("app=web"));
        pod.Spec.Affinity = kind == "affinity"
            ? new V1Affinity { PodAffinity = new V1PodAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [Term(app)] } }
            : new V1Affinity { PodAntiAffinity = new V1PodAntiAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [Term(app)] } };
        List<NodeInfo> nodes = Cluster();
        var plugin = new InterPodAffinityPlugin();
        var state = new CycleState();
        Assert.True(plugin.PreFilter(state, pod, nodes).IsSuccess);
        Assert.Equal(want, plugin.Filter(state, pod, nodes.Single(n => n.Name == node)).Code);
    }

    [Fact]
    public void FirstPodOfASelfAffineGroupMayGoAnywhere()
    {
        V1Pod pod = Pod(labels: Labels("app=web"));
        pod.Spec.Affinity = new V1Affinity { PodAffinity = new V1PodAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [Term("web")] } };
        List<NodeInfo> nodes = Cluster();
        var plugin = new InterPodAffinityPlugin();
        var state = new CycleState();
        plugin.PreFilter(state, pod, nodes);
        Assert.True(plugin.Filter(state, pod, nodes[2]).IsSuccess);
    }

    [Theory]
    [InlineData("a2", StatusCode.Unschedulable)]
    [InlineData("b1", StatusCode.Success)]
    public void ExistingPodsAntiAffinityAgainstTheIncomingPod(string node, StatusCode want)
    {
        V1Pod existing = Pod("db", labels: Labels("app=db"));
        existing.Spec.Affinity = new V1Affinity { PodAntiAffinity = new V1PodAntiAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [Term("web")] } };
        List<NodeInfo> nodes = Cluster(existing);
        V1Pod pod = Pod(labels: Labels("app=web"));
        var plugin = new InterPodAffinityPlugin();
        var state = new CycleState();
        Assert.True(plugin.PreFilter(state, pod, nodes).IsSuccess);
        Status s = plugin.Filter(state, pod, nodes.Single(n => n.Name == node));
        Assert.Equal(want, s.Code);
        if (!s.IsSuccess)
        {
            Assert.Equal(InterPodAffinityPlugin.ExistingAntiAffinityReason, s.Message);
        }
    }

    [Theory]
    [InlineData("team=data", StatusCode.Unschedulable)]   // the db pod's namespace "prod" has team=data: it counts
    [InlineData("team=web", StatusCode.Success)]          // no namespace matches: nothing to avoid
    [InlineData("", StatusCode.Unschedulable)]            // {} selects every namespace
    public void ANamespaceSelectorPicksNamespacesByTheirLabels(string selector, StatusCode want)
    {
        V1Pod db = Pod("db", labels: Labels("app=db"), ns: "prod");
        List<NodeInfo> nodes = [Info(Node("b1", labels: Labels($"{Zone}=b")), db)];
        V1PodAffinityTerm term = Term("db");
        term.NamespaceSelector = new V1LabelSelector { MatchLabels = selector.Length == 0 ? null : Labels(selector) };
        V1Pod pod = Pod(labels: Labels("app=web"));
        pod.Spec.Affinity = new V1Affinity { PodAntiAffinity = new V1PodAntiAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [term] } };
        var plugin = new InterPodAffinityPlugin(name => name == "prod" ? Labels("team=data") : Labels("team=none"));
        var state = new CycleState();
        Assert.True(plugin.PreFilter(state, pod, nodes).IsSuccess);
        Assert.Equal(want, plugin.Filter(state, pod, nodes[0]).Code);
    }

    [Fact]
    public void PreferredTermsScore()
    {
        V1Pod pod = Pod(labels: Labels("app=web"));
        pod.Spec.Affinity = new V1Affinity
        {
            PodAffinity = new V1PodAffinity { PreferredDuringSchedulingIgnoredDuringExecution = [new V1WeightedPodAffinityTerm { Weight = 10, PodAffinityTerm = Term("db") }] },
        };
        List<NodeInfo> nodes = Cluster();
        var plugin = new InterPodAffinityPlugin();
        var state = new CycleState();
        Assert.True(plugin.PreScore(state, pod, nodes, nodes).IsSuccess);
        long[] scores = nodes.Select(n => plugin.Score(state, pod, n)).ToArray();
        plugin.NormalizeScore(state, pod, scores);
        Assert.Equal([100L, 100L, 0L], scores);

        pod.Spec.Affinity = new V1Affinity
        {
            PodAntiAffinity = new V1PodAntiAffinity { PreferredDuringSchedulingIgnoredDuringExecution = [new V1WeightedPodAffinityTerm { Weight = 10, PodAffinityTerm = Term("db") }] },
        };
        state = new CycleState();
        plugin.PreScore(state, pod, nodes, nodes);
        scores = nodes.Select(n => plugin.Score(state, pod, n)).ToArray();
        plugin.NormalizeScore(state, pod, scores);
        Assert.Equal([0L, 0L, 100L], scores);
    }
}
