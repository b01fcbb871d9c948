using System.Net;
using System.Text.Json.Nodes;
using k8s.Models;
using static Navarch.ApiServer.Tests.Apiextensions.CustomResourceHarness;

namespace Navarch.ApiServer.Tests.Apiextensions;

/// <summary>
/// x-kubernetes-validations share one RuntimeCELCostBudget (10,000,000) per object: twelve rules of about 900,000 each
/// (a bounded string read eighteen times; each rule within the per-call limit, as kube's estimator would admit) exceed
/// it, and the object is refused with kube's out-of-budget error; eleven pass.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CustomResourceCostBudgetTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const int BigLength = 500_000;

    [Fact]
    public async Task Rules_that_together_exceed_the_object_budget_refuse_it_with_kube_message()
    {
        string rule = string.Join(" + ", Enumerable.Repeat("self.big.indexOf('z')", 18)) + " == -18";
        await InstallAsync(fixture.Client, Costly("costly.example.com", rule, 12));
        await InstallAsync(fixture.Client, Costly("affordable.example.com", rule, 11));
        var big = new string('a', BigLength);

        JsonNode refused = await ExpectAsync(fixture.Http, HttpStatusCode.UnprocessableEntity, HttpMethod.Post, "/apis/costly.example.com/v1/namespaces/default/gadgets", Gadget("costly.example.com", big));
        Assert.Equal(
            "Gadget.costly.example.com \"g\" is invalid: spec: Invalid value: \"object\": validation failed due to running out of cost budget, no further validation rules will be run",
            (string?)refused["message"]);

        await ExpectAsync(fixture.Http, HttpStatusCode.Created, HttpMethod.Post, "/apis/affordable.example.com/v1/namespaces/default/gadgets", Gadget("affordable.example.com", big));
    }

    private static JsonObject Gadget(string group, string big) => new()
    {
        ["apiVersion"] = group + "/v1",
        ["kind"] = "Gadget",
        ["metadata"] = new JsonObject { ["name"] = "g" },
        ["spec"] = new JsonObject { ["big"] = big },
    };

    private static V1CustomResourceDefinition Costly(string group, string rule, int rules) => new()
    {
        Metadata = new V1ObjectMeta { Name = "gadgets." + group },
        Spec = new V1CustomResourceDefinitionSpec
        {
            Group = group,
            Scope = "Namespaced",
            Names = new V1CustomResourceDefinitionNames { Plural = "gadgets", Kind = "Gadget" },
            Versions =
            [
                new V1CustomResourceDefinitionVersion
                {
                    Name = "v1",
                    Served = true,
                    Storage = true,
                    Schema = new V1CustomResourceValidation
                    {
                        OpenAPIV3Schema = new V1JSONSchemaProps
                        {
                            Type = "object",
                            Properties = new Dictionary<string, V1JSONSchemaProps>
                            {
                                ["spec"] = new()
                                {
                                    Type = "object",
                                    XKubernetesValidations = [.. Enumerable.Range(0, rules).Select(i => new V1ValidationRule { Rule = rule + $" || {i} < 0" })],
                                    Properties = new Dictionary<string, V1JSONSchemaProps> { ["big"] = new() { Type = "string", MaxLength = BigLength } },
                                },
                            },
                        },
                    },
                },
            ],
        },
    };
}
