using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Admission.Policies;

/// <summary>
/// A ValidatingAdmissionPolicy whose expressions together cost more than kube's RuntimeCELCostBudget, on a real API
/// server: under failurePolicy Fail the request is denied with kube's out-of-budget message; under Ignore it passes.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PolicyCostBudgetServerTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_policy_past_its_cost_budget_is_refused_under_Fail_and_passes_under_Ignore()
    {
        await fixture.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "vap-cost" } });
        await PolicyAsync("costly-fail", "Fail", "costly-fail");
        await PolicyAsync("costly-ignore", "Ignore", "costly-ignore");

        HttpResponseMessage refused = await Polling.Eventually(
            () => CreateAsync("costly-fail"), r => r.StatusCode == HttpStatusCode.UnprocessableEntity, "the policy runs out of its budget");
        Assert.Equal(
            "configmaps \"costly-fail\" is forbidden: ValidatingAdmissionPolicy 'costly-fail' with binding 'costly-fail' denied request: validation failed due to running out of cost budget, no further validation rules will be run",
            (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["message"]);

        // The Ignore policy's binding exists by now (bindings are listed together); its object is admitted.
        await Polling.Eventually(async () => (await fixture.Client.AdmissionregistrationV1.ListValidatingAdmissionPolicyBindingAsync()).Items.Count >= 2, "both bindings exist");
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync("costly-ignore")).StatusCode);
    }

    private async Task PolicyAsync(string name, string failurePolicy, string objectName)
    {
        await fixture.Client.AdmissionregistrationV1.CreateValidatingAdmissionPolicyAsync(new V1ValidatingAdmissionPolicy
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1ValidatingAdmissionPolicySpec
            {
                FailurePolicy = failurePolicy,
                MatchConstraints = new V1MatchResources
                {
                    ResourceRules = [new V1NamedRuleWithOperations { ApiGroups = [""], ApiVersions = ["v1"], Operations = ["CREATE"], Resources = ["configmaps"] }],
                },
                MatchConditions = [new V1MatchCondition { Name = "this-object", Expression = $"object.metadata.name == '{objectName}'" }],

                // About 900,000 units per expression, under the call limit; twelve exceed 10,000,000.
                Validations = [.. Enumerable.Repeat(PolicyCostBudgetTests.Costly(18), 12).Select(e => new V1Validation { Expression = e })],
            },
        });
        await fixture.Client.AdmissionregistrationV1.CreateValidatingAdmissionPolicyBindingAsync(new V1ValidatingAdmissionPolicyBinding
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1ValidatingAdmissionPolicyBindingSpec { PolicyName = name, ValidationActions = ["Deny"] },
        });
    }

    private async Task<HttpResponseMessage> CreateAsync(string name)
    {
        var data = new JsonObject { ["big"] = new string('a', PolicyCostBudgetTests.BigLength) };
        var body = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = name }, ["data"] = data };
        return await fixture.Http.PostAsync(new Uri("/api/v1/namespaces/vap-cost/configmaps", UriKind.Relative), new StringContent(body.ToJsonString(), new MediaTypeHeaderValue("application/json")));
    }
}
