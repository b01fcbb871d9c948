using k8s.Models;
using Navarch.Api.Strategies.Coordination;
using static Navarch.Api.Machinery.Tests.Strategies.StrategyHarness;

namespace Navarch.Api.Machinery.Tests.Strategies.Coordination;

[Trait("Category", "Unit")]
public sealed class LeaseStrategyTests
{
    [Fact]
    public void A_lease_lasts_a_positive_time()
    {
        var lease = new V1Lease { Metadata = new V1ObjectMeta { Name = "validated-lease" }, Spec = new V1LeaseSpec { LeaseDurationSeconds = 0 } };
        AssertInvalid(Create(LeaseStrategy.Create(), lease), "spec.leaseDurationSeconds", "must be greater than 0");
    }
}
