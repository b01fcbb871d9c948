using k8s.Models;
using Navarch.Api.Strategies.Core;
using static Navarch.Api.Machinery.Tests.Strategies.StrategyHarness;

namespace Navarch.Api.Machinery.Tests.Strategies.Core;

[Trait("Category", "Unit")]
public sealed class ResourceQuotaStrategyTests
{
    [Fact]
    public void Hard_limits_are_not_negative()
    {
        var quota = new V1ResourceQuota { Metadata = new V1ObjectMeta { Name = "validated-quota" }, Spec = new V1ResourceQuotaSpec { Hard = new Dictionary<string, ResourceQuantity> { ["pods"] = new("-1") } } };
        AssertInvalid(Create(ResourceQuotaStrategy.Create(), quota), "spec.hard[pods]", "must be greater than or equal to 0");
    }
}
