using k8s.Models;
using Navarch.Api.Strategies.ApiExtensions;
using static Navarch.Api.Machinery.Tests.Strategies.StrategyHarness;

namespace Navarch.Api.Machinery.Tests.Strategies.ApiExtensions;

[Trait("Category", "Unit")]
public sealed class CustomResourceDefinitionStrategyTests
{
    [Fact]
    public void A_definition_is_named_after_its_plural_and_group_and_stores_one_version()
    {
        var crd = new V1CustomResourceDefinition
        {
            Metadata = new V1ObjectMeta { Name = "widgets.example.com" },
            Spec = new V1CustomResourceDefinitionSpec { Group = "example.com", Names = new V1CustomResourceDefinitionNames { Plural = "gadgets", Kind = "Widget" }, Scope = "Namespaced", Versions = [] },
        };
        IReadOnlyList<FieldError> errors = Create(CustomResourceDefinitionStrategy.Create(), crd);
        AssertInvalid(errors, "metadata.name", "must be spec.names.plural");
        AssertInvalid(errors, "spec.versions", "exactly one version marked as storage version");
    }
}
