using k8s.Models;
using Navarch.Api.Strategies.Apps;
using static Navarch.Api.Machinery.Tests.Strategies.StrategyHarness;

namespace Navarch.Api.Machinery.Tests.Strategies.Apps;

[Trait("Category", "Unit")]
public sealed class ControllerRevisionStrategyTests
{
    [Fact]
    public void A_revisions_data_never_changes()
    {
        V1ControllerRevision Revision(int a) => new() { Metadata = new V1ObjectMeta { Name = "fixed-rev", NamespaceProperty = "default" }, Revision = 1, Data = new Dictionary<string, object> { ["a"] = a } };
        V1ControllerRevision old = Revision(1);
        Assert.Empty(Create(ControllerRevisionStrategy.Create(), old));
        AssertInvalid(Update(ControllerRevisionStrategy.Create(), Revision(2), old), "data", "field is immutable");
    }
}
