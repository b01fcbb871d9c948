using k8s;
using k8s.Models;
using Navarch.Api.Strategies.ApiExtensions;
using static Navarch.Api.Machinery.Tests.Strategies.StrategyHarness;

namespace Navarch.Api.Machinery.Tests.Strategies.ApiExtensions;

/// <summary>A v1 CRD whose schema is not structural, or whose CEL rules do not compile, is refused (422) on create.</summary>
[Trait("Category", "Unit")]
public sealed class CustomResourceDefinitionSchemaTests
{
    [Fact]
    public void A_structural_schema_with_compiling_rules_is_accepted()
    {
        var crd = Crd("""
            {"type":"object","properties":{"spec":{"type":"object","properties":{"replicas":{"type":"integer","default":1}},
             "x-kubernetes-validations":[{"rule":"self.replicas <= 10","message":"at most 10"}]}}}
            """);

        Assert.Empty(Create(CustomResourceDefinitionStrategy.Create(), crd));
    }

    [Fact]
    public void A_non_structural_schema_is_refused_with_its_violations()
    {
        var crd = Crd("""{"type":"object","properties":{"spec":{"properties":{"a":{"type":"string"}}}}}""");

        var errors = Create(CustomResourceDefinitionStrategy.Create(), crd);

        var error = Assert.Single(errors);
        Assert.Equal("spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields", error.ToString());
    }

    [Fact]
    public void A_rule_that_does_not_compile_is_refused()
    {
        var crd = Crd("""{"type":"object","properties":{"spec":{"type":"object","x-kubernetes-validations":[{"rule":"self.replicas <"}]}}}""");

        var errors = Create(CustomResourceDefinitionStrategy.Create(), crd);

        AssertInvalid(errors, "spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule", "compilation failed: ERROR: <input>:1:16: Syntax error");
    }

    private static V1CustomResourceDefinition Crd(string schema) => new()
    {
        Metadata = new V1ObjectMeta { Name = "widgets.example.com" },
        Spec = new V1CustomResourceDefinitionSpec
        {
            Group = "example.com",
            Names = new V1CustomResourceDefinitionNames { Plural = "widgets", Kind = "Widget" },
            Scope = "Namespaced",
            Versions =
            [
                new V1CustomResourceDefinitionVersion
                {
                    Name = "v1",
                    Served = true,
                    Storage = true,
                    Schema = new V1CustomResourceValidation { OpenAPIV3Schema = KubernetesJson.Deserialize<V1JSONSchemaProps>(schema) },
                },
            ],
        },
    };
}
