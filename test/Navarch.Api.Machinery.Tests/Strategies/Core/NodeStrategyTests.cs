using k8s.Models;
using Navarch.Api.Strategies.Core;
using static Navarch.Api.Machinery.Tests.Strategies.StrategyHarness;

namespace Navarch.Api.Machinery.Tests.Strategies.Core;

[Trait("Category", "Unit")]
public sealed class NodeStrategyTests
{
    [Fact]
    public void Nodes_need_valid_pod_cidrs_and_unique_taints()
    {
        var node = new V1Node
        {
            Metadata = new V1ObjectMeta { Name = "validated-node" },
            Spec = new V1NodeSpec { PodCIDR = "10.1.0.0/33", Taints = [new V1Taint { Key = "a", Effect = "Sometimes" }, new V1Taint { Key = "b", Effect = "NoSchedule" }, new V1Taint { Key = "b", Effect = "NoSchedule" }] },
        };
        IReadOnlyList<FieldError> errors = Create(NodeStrategy.Create(), node);
        AssertInvalid(errors, "spec.podCIDRs[0]", "must be a valid CIDR");
        AssertInvalid(errors, "spec.taints[0].effect", "supported values");
        AssertInvalid(errors, "spec.taints[2]", "unique by key and effect");
    }
}
