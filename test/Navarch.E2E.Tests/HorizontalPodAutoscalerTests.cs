namespace Navarch.E2E.Tests;

/// <summary>A one-node cluster with a short HPA sync period and metric resolution, so autoscaling is seen in seconds.</summary>
public sealed class AutoscalingNavarchNode : NavarchNode
{
    public AutoscalingNavarchNode()
        : base(["--horizontal-pod-autoscaler-sync-period", "2s", "--metric-resolution", "2s"])
    {
    }
}

/// <summary>The autoscaling loop (<see cref="AutoscalingScenario"/>) on one node; MultiNodeTests runs it across two.</summary>
[Trait("Category", "Node")]
public sealed class HorizontalPodAutoscalerTests(AutoscalingNavarchNode node) : IClassFixture<AutoscalingNavarchNode>
{
    [Fact]
    public Task A_cpu_burning_deployment_scales_up_to_its_maximum_and_back_down_when_the_load_stops() =>
        AutoscalingScenario.RunAsync(node, "hpa", [node.NodeName]);
}
