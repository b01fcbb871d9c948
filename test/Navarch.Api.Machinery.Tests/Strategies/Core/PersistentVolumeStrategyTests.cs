using k8s.Models;
using Navarch.Api.Strategies.Core;
using static Navarch.Api.Machinery.Tests.Strategies.StrategyHarness;

namespace Navarch.Api.Machinery.Tests.Strategies.Core;

[Trait("Category", "Unit")]
public sealed class PersistentVolumeStrategyTests
{
    [Fact]
    public void A_volume_needs_a_capacity_and_a_source()
    {
        var pv = new V1PersistentVolume { Metadata = new V1ObjectMeta { Name = "validated-pv" }, Spec = new V1PersistentVolumeSpec() };
        IReadOnlyList<FieldError> errors = Create(PersistentVolumeStrategy.Create(), pv);
        AssertInvalid(errors, "spec.capacity", "Required");
        AssertInvalid(errors, "spec", "must specify a volume type");
    }
}
