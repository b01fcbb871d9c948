using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.ApiServer.Tests.Admission.Policies;

/// <summary>
/// ValidatingAdmissionPolicy end to end on a real API server: a policy with a ConfigMap paramKind, bound twice — Deny in
/// one namespace, Warn in another — with params found by paramRef, CEL validations and messageExpression.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ValidatingAdmissionPolicyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private Kubernetes Client => fixture.Client;

    [Fact]
    public async Task A_policy_with_params_denies_in_one_binding_and_warns_in_another()
    {
        await NamespaceAsync("vap-params", "none");
        await NamespaceAsync("vap-deny", "deny");
        await NamespaceAsync("vap-warn", "warn");
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "rules" }, Data = new Dictionary<string, string> { ["forbidden"] = "evil" } }, "vap-params");
        await Client.AdmissionregistrationV1.CreateValidatingAdmissionPolicyAsync(new V1ValidatingAdmissionPolicy
        {
            Metadata = new V1ObjectMeta { Name = "no-forbidden-keys" },
            Spec = new V1ValidatingAdmissionPolicySpec
            {
                ParamKind = new V1ParamKind { ApiVersion = "v1", Kind = "ConfigMap" },
                MatchConstraints = new V1MatchResources
                {
                    ResourceRules = [new V1NamedRuleWithOperations { ApiGroups = [""], ApiVersions = ["v1"], Operations = ["CREATE", "UPDATE"], Resources = ["configmaps"] }],
                },
                Validations =
                [
                    new V1Validation { Expression = "!has(object.data) || !(params.data.forbidden in object.data)", MessageExpression = "'key ' + params.data.forbidden + ' is not allowed'" },
                    new V1Validation { Expression = "object.metadata.name != 'plain'", Message = "plain is a reserved name" },
                ],
            },
        });
        await BindAsync("no-forbidden-keys-deny", "deny", "Deny");
        await BindAsync("no-forbidden-keys-warn", "warn", "Warn");

        HttpResponseMessage denied = await Eventually(() => CreateAsync("vap-deny", "bad", "evil"), r => r.StatusCode == HttpStatusCode.UnprocessableEntity, "the policy denies");
        JsonNode status = JsonNode.Parse(await denied.Content.ReadAsStringAsync())!;
        Assert.Equal("configmaps \"bad\" is forbidden: ValidatingAdmissionPolicy 'no-forbidden-keys' with binding 'no-forbidden-keys-deny' denied request: key evil is not allowed", (string?)status["message"]);
        Assert.Equal("Invalid", (string?)status["reason"]);
        Assert.Equal(
            "configmaps \"plain\" is forbidden: ValidatingAdmissionPolicy 'no-forbidden-keys' with binding 'no-forbidden-keys-deny' denied request: plain is a reserved name",
            (string?)JsonNode.Parse(await (await CreateAsync("vap-deny", "plain", "fine")).Content.ReadAsStringAsync())!["message"]);
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync("vap-deny", "good", "fine")).StatusCode);

        HttpResponseMessage warned = await Eventually(() => CreateAsync("vap-warn", "warned-" + Guid.NewGuid().ToString("N")[..6], "evil"), r => r.Headers.Contains("Warning"), "the policy warns");
        Assert.Equal(HttpStatusCode.Created, warned.StatusCode);
        Assert.Contains(warned.Headers.GetValues("Warning"), w => w.Contains("Validation failed for ValidatingAdmissionPolicy 'no-forbidden-keys' with binding 'no-forbidden-keys-warn': key evil is not allowed", StringComparison.Ordinal));

        // Without its params, a Deny parameterNotFoundAction refuses (failurePolicy Fail).
        await Client.CoreV1.DeleteNamespacedConfigMapAsync("rules", "vap-params");
        HttpResponseMessage missing = await Eventually(() => CreateAsync("vap-deny", "no-params", "fine"), r => r.StatusCode == HttpStatusCode.UnprocessableEntity, "missing params deny");
        Assert.Contains("no params found for policy binding with `Deny` parameterNotFoundAction", (string?)JsonNode.Parse(await missing.Content.ReadAsStringAsync())!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policies_whose_expressions_do_not_compile_are_refused()
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => Client.AdmissionregistrationV1.CreateValidatingAdmissionPolicyAsync(new V1ValidatingAdmissionPolicy
        {
            Metadata = new V1ObjectMeta { Name = "broken" },
            Spec = new V1ValidatingAdmissionPolicySpec
            {
                MatchConstraints = new V1MatchResources { ResourceRules = [new V1NamedRuleWithOperations { ApiGroups = [""], ApiVersions = ["v1"], Operations = ["CREATE"], Resources = ["configmaps"] }] },
                Validations = [new V1Validation { Expression = "params.x == 1" }],
            },
        }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, e.Response.StatusCode);
        Assert.Contains("spec.validations[0].expression: Invalid value: \"params.x == 1\": compilation failed: ERROR: <input>:1:1: undeclared reference to 'params'", (string?)JsonNode.Parse(e.Response.Content)!["message"], StringComparison.Ordinal);

        var binding = await Assert.ThrowsAsync<HttpOperationException>(() => Client.AdmissionregistrationV1.CreateValidatingAdmissionPolicyBindingAsync(new V1ValidatingAdmissionPolicyBinding
        {
            Metadata = new V1ObjectMeta { Name = "no-actions" },
            Spec = new V1ValidatingAdmissionPolicyBindingSpec { PolicyName = "x" },
        }));
        Assert.Contains("spec.validationActions: Required value: at least one validation action is required", (string?)JsonNode.Parse(binding.Response.Content)!["message"], StringComparison.Ordinal);
    }

    private async Task BindAsync(string name, string label, string action) =>
        await Client.AdmissionregistrationV1.CreateValidatingAdmissionPolicyBindingAsync(new V1ValidatingAdmissionPolicyBinding
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1ValidatingAdmissionPolicyBindingSpec
            {
                PolicyName = "no-forbidden-keys",
                ValidationActions = [action],
                ParamRef = new V1ParamRef { Name = "rules", NamespaceProperty = "vap-params", ParameterNotFoundAction = "Deny" },
                MatchResources = new V1MatchResources { NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["vap"] = label } } },
            },
        });

    private async Task NamespaceAsync(string name, string label) =>
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["vap"] = label } } });

    private async Task<HttpResponseMessage> CreateAsync(string ns, string name, string key)
    {
        var body = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = name }, ["data"] = new JsonObject { [key] = "x" } };
        return await fixture.Http.PostAsync(new Uri($"/api/v1/namespaces/{ns}/configmaps", UriKind.Relative), new StringContent(body.ToJsonString(), new MediaTypeHeaderValue("application/json")));
    }
}
