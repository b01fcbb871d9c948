using k8s.Models;
using Navarch.Scheduler.Framework;
using Navarch.Scheduler.Plugins.NodeName;
using Navarch.Scheduler.Plugins.NodePorts;
using Navarch.Scheduler.Plugins.NodeUnschedulable;
using static Navarch.Scheduler.Tests.Fixtures;

namespace Navarch.Scheduler.Tests.Plugins;

[Trait("Category", "Unit")]
public sealed class SimpleFilterTests
{
    [Theory]
    [InlineData(false, false, StatusCode.Success)]
    [InlineData(true, false, StatusCode.UnschedulableAndUnresolvable)]
    [InlineData(true, true, StatusCode.Success)]
    public void NodeUnschedulable(bool cordoned, bool tolerates, StatusCode want)
    {
        V1Node node = Node("n1");
        node.Spec.Unschedulable = cordoned;
        V1Pod pod = Pod();
        if (tolerates)
        {
            pod.Spec.Tolerations = [new V1Toleration { Key = "node.kubernetes.io/unschedulable", OperatorProperty = "Exists", Effect = "NoSchedule" }];
        }

        Assert.Equal(want, new NodeUnschedulablePlugin().Filter(new CycleState(), pod, Info(node)).Code);
    }

    [Theory]
    [InlineData(null, StatusCode.Success)]
    [InlineData("n1", StatusCode.Success)]
    [InlineData("n2", StatusCode.UnschedulableAndUnresolvable)]
    public void NodeName(string? wanted, StatusCode want)
    {
        V1Pod pod = Pod();
        pod.Spec.NodeName = wanted;
        Assert.Equal(want, new NodeNamePlugin().Filter(new CycleState(), pod, Info(Node("n1"))).Code);
    }

    public static TheoryData<string, int, string, int, StatusCode> PortCases => new()
    {
        { "", 0, "", 8080, StatusCode.Success },
        { "0.0.0.0", 8080, "", 8080, StatusCode.Unschedulable },
        { "10.0.0.1", 8080, "10.0.0.2", 8080, StatusCode.Success },
        { "10.0.0.1", 8080, "", 8080, StatusCode.Unschedulable },
        { "", 8080, "", 8081, StatusCode.Success },
    };

    [Theory]
    [MemberData(nameof(PortCases))]
    public void NodePorts(string usedIp, int usedPort, string wantIp, int wantPort, StatusCode want)
    {
        V1Pod existing = Pod("existing");
        if (usedPort > 0)
        {
            existing.Spec.Containers[0].Ports = [new V1ContainerPort { ContainerPort = 80, HostPort = usedPort, HostIP = usedIp }];
        }

        V1Pod pod = Pod();
        pod.Spec.Containers[0].Ports = [new V1ContainerPort { ContainerPort = 80, HostPort = wantPort, HostIP = wantIp }];
        var plugin = new NodePortsPlugin();
        var state = new CycleState();
        NodeInfo info = Info(Node("n1"), existing);
        Assert.Equal(StatusCode.Success, plugin.PreFilter(state, pod, [info]).Code);
        Status s = plugin.Filter(state, pod, info);
        Assert.Equal(want, s.Code);
        if (want != StatusCode.Success)
        {
            Assert.Equal(NodePortsPlugin.Reason, s.Message);
        }
    }

    [Fact]
    public void NodePortsSkipsPodsWithoutHostPorts() =>
        Assert.Equal(StatusCode.Skip, new NodePortsPlugin().PreFilter(new CycleState(), Pod(), []).Code);
}
