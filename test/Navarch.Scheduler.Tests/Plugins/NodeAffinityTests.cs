using k8s.Models;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.NodeAffinity;
using static Navarch.Scheduler.Tests.Fixtures;

namespace Navarch.Scheduler.Tests.Plugins;

[Trait("Category", "Unit")]
public sealed class NodeAffinityTests
{
    public static TheoryData<string, string, string[], bool> ExpressionCases => new()
    {
        { "zone", "In", ["a", "b"], true },
        { "zone", "In", ["c"], false },
        { "zone", "NotIn", ["c"], true },
        { "zone", "NotIn", ["a"], false },
        { "missing", "NotIn", ["a"], true },
        { "zone", "Exists", [], true },
        { "missing", "Exists", [], false },
        { "missing", "DoesNotExist", [], true },
        { "zone", "DoesNotExist", [], false },
        { "cores", "Gt", ["8"], true },
        { "cores", "Gt", ["16"], false },
        { "cores", "Lt", ["32"], true },
        { "cores", "Lt", ["16"], false },
        { "zone", "Gt", ["1"], false },
    };

    [Theory]
    [MemberData(nameof(ExpressionCases))]
    public void RequiredTermOperators(string key, string op, string[] values, bool fits)
    {
        V1Pod pod = Pod();
        pod.Spec.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                {
                    NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = key, OperatorProperty = op, Values = values }] }],
                },
            },
        };
        NodeInfo node = Info(Node("n1", labels: Labels("zone=a", "cores=16")));
        Status s = new NodeAffinityPlugin().Filter(new CycleState(), pod, node);
        Assert.Equal(fits ? StatusCode.Success : StatusCode.UnschedulableAndUnresolvable, s.Code);
    }

    [Theory]
    [InlineData("zone=a", true)]
    [InlineData("zone=b", false)]
    [InlineData("disk=ssd", false)]
    public void NodeSelector(string selector, bool fits)
    {
        V1Pod pod = Pod();
        pod.Spec.NodeSelector = Labels(selector);
        Status s = new NodeAffinityPlugin().Filter(new CycleState(), pod, Info(Node("n1", labels: Labels("zone=a"))));
        Assert.Equal(fits, s.IsSuccess);
    }

    [Theory]
    [InlineData("n1", true)]
    [InlineData("n2", false)]
    public void MatchFieldsMetadataName(string name, bool fits)
    {
        V1Pod pod = Pod();
        pod.Spec.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                {
                    NodeSelectorTerms = [new V1NodeSelectorTerm { MatchFields = [new V1NodeSelectorRequirement { Key = "metadata.name", OperatorProperty = "In", Values = [name] }] }],
                },
            },
        };
        Assert.Equal(fits, new NodeAffinityPlugin().Filter(new CycleState(), pod, Info(Node("n1"))).IsSuccess);
    }

    [Fact]
    public void PreferredTermsScoreAndNormalize()
    {
        V1Pod pod = Pod();
        pod.Spec.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                PreferredDuringSchedulingIgnoredDuringExecution =
                [
                    new V1PreferredSchedulingTerm { Weight = 10, Preference = new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "In", Values = ["a"] }] } },
                    new V1PreferredSchedulingTerm { Weight = 30, Preference = new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "disk", OperatorProperty = "Exists" }] } },
                ],
            },
        };
        var plugin = new NodeAffinityPlugin();
        NodeInfo[] nodes = [Info(Node("a", labels: Labels("zone=a"))), Info(Node("b", labels: Labels("zone=a", "disk=ssd"))), Info(Node("c"))];
        long[] scores = nodes.Select(n => plugin.Score(new CycleState(), pod, n)).ToArray();
        Assert.Equal([10L, 40L, 0L], scores);
        plugin.NormalizeScore(new CycleState(), pod, scores);
        Assert.Equal([25L, 100L, 0L], scores);
    }
}
