using k8s.Models;
using Navarch.Api.Strategies.Core;
using static Navarch.Api.Machinery.Tests.Strategies.StrategyHarness;

namespace Navarch.Api.Machinery.Tests.Strategies.Core;

[Trait("Category", "Unit")]
public sealed class LimitRangeStrategyTests
{
    [Fact]
    public void A_minimum_may_not_exceed_the_maximum()
    {
        var limits = new V1LimitRange
        {
            Metadata = new V1ObjectMeta { Name = "validated-limits" },
            Spec = new V1LimitRangeSpec { Limits = [new V1LimitRangeItem { Type = "Container", Min = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("2") }, Max = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1") } }] },
        };
        AssertInvalid(Create(LimitRangeStrategy.Create(), limits), "spec.limits[0].min[cpu]", "is greater than max value");
    }
}
