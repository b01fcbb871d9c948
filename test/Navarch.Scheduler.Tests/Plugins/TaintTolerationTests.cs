using k8s.Models;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.TaintToleration;
using static Navarch.Scheduler.Tests.Fixtures;

namespace Navarch.Scheduler.Tests.Plugins;

[Trait("Category", "Unit")]
public sealed class TaintTolerationTests
{
    public static TheoryData<string, V1Toleration?, StatusCode> FilterCases => new()
    {
        { "NoSchedule", null, StatusCode.UnschedulableAndUnresolvable },
        { "NoExecute", null, StatusCode.UnschedulableAndUnresolvable },
        { "PreferNoSchedule", null, StatusCode.Success },
        { "NoSchedule", new V1Toleration { Key = "dedicated", OperatorProperty = "Equal", Value = "gpu", Effect = "NoSchedule" }, StatusCode.Success },
        { "NoSchedule", new V1Toleration { Key = "dedicated", OperatorProperty = "Equal", Value = "other", Effect = "NoSchedule" }, StatusCode.UnschedulableAndUnresolvable },
        { "NoSchedule", new V1Toleration { Key = "dedicated", OperatorProperty = "Exists" }, StatusCode.Success },
        { "NoExecute", new V1Toleration { OperatorProperty = "Exists" }, StatusCode.Success },
        { "NoExecute", new V1Toleration { Key = "dedicated", OperatorProperty = "Exists", Effect = "NoSchedule" }, StatusCode.UnschedulableAndUnresolvable },
    };

    [Theory]
    [MemberData(nameof(FilterCases))]
    public void Filter(string effect, V1Toleration? toleration, StatusCode want)
    {
        V1Pod pod = Pod();
        pod.Spec.Tolerations = toleration is null ? null : [toleration];
        NodeInfo node = Info(Node("n1", taints: [new V1Taint { Key = "dedicated", Value = "gpu", Effect = effect }]));
        Status s = new TaintTolerationPlugin().Filter(new CycleState(), pod, node);
        Assert.Equal(want, s.Code);
        if (want != StatusCode.Success)
        {
            Assert.Equal("node(s) had untolerated taint {dedicated: gpu}", s.Message);
        }
    }

    [Fact]
    public void PreferNoScheduleScoresFewerTaintsHigher()
    {
        var plugin = new TaintTolerationPlugin();
        V1Pod pod = Pod();
        static V1Taint Soft(string k) => new() { Key = k, Value = "x", Effect = "PreferNoSchedule" };
        NodeInfo[] nodes = [Info(Node("a")), Info(Node("b", taints: [Soft("x")])), Info(Node("c", taints: [Soft("x"), Soft("y")]))];
        long[] scores = nodes.Select(n => plugin.Score(new CycleState(), pod, n)).ToArray();
        plugin.NormalizeScore(new CycleState(), pod, scores);
        Assert.Equal([100L, 50L, 0L], scores);
    }
}
