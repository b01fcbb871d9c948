using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Admission.Policies;

/// <summary>
/// excludeResourceRules under matchPolicy Equivalent (matching.go): a policy on autoscaling/v2 HorizontalPodAutoscalers
/// applies to a request through autoscaling/v1, and its exclusion — also named in v2 — excludes it there too.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PolicyExclusionTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task An_excluded_resource_stays_excluded_when_reached_through_an_equivalent_version()
    {
        await fixture.Client.AdmissionregistrationV1.CreateValidatingAdmissionPolicyAsync(new V1ValidatingAdmissionPolicy
        {
            Metadata = new V1ObjectMeta { Name = "no-hpas" },
            Spec = new V1ValidatingAdmissionPolicySpec
            {
                MatchConstraints = new V1MatchResources
                {
                    ResourceRules = [Rule(null)],
                    ExcludeResourceRules = [Rule(["allowed"])],
                },
                Validations = [new V1Validation { Expression = "false", Message = "no autoscalers here" }],
            },
        });
        await fixture.Client.AdmissionregistrationV1.CreateValidatingAdmissionPolicyBindingAsync(new V1ValidatingAdmissionPolicyBinding
        {
            Metadata = new V1ObjectMeta { Name = "no-hpas" },
            Spec = new V1ValidatingAdmissionPolicyBindingSpec { PolicyName = "no-hpas", ValidationActions = ["Deny"] },
        });

        HttpResponseMessage denied = await Polling.Eventually(() => CreateV1Async("other"), r => r.StatusCode == HttpStatusCode.UnprocessableEntity, "the v2 policy applies through v1");
        Assert.Contains("denied request: no autoscalers here", (string?)JsonNode.Parse(await denied.Content.ReadAsStringAsync())!["message"], StringComparison.Ordinal);

        using HttpResponseMessage allowed = await CreateV1Async("allowed");
        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
    }

    private static V1NamedRuleWithOperations Rule(List<string>? names) => new()
    {
        ApiGroups = ["autoscaling"],
        ApiVersions = ["v2"],
        Operations = ["CREATE"],
        Resources = ["horizontalpodautoscalers"],
        ResourceNames = names,
    };

    private async Task<HttpResponseMessage> CreateV1Async(string name)
    {
        var body = new JsonObject
        {
            ["apiVersion"] = "autoscaling/v1",
            ["kind"] = "HorizontalPodAutoscaler",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject { ["scaleTargetRef"] = new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "Deployment", ["name"] = "web" }, ["maxReplicas"] = 2 },
        };
        return await fixture.Http.PostAsync(new Uri("/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers", UriKind.Relative), new StringContent(body.ToJsonString(), new MediaTypeHeaderValue("application/json")));
    }
}
