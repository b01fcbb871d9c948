using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.Controllers.Tests;

/// <summary>
/// The validatingadmissionpolicy-status controller against a real API server: a policy's expressions are type-checked
/// against the schemas of the kinds it matches (read from the server's OpenAPI v3), and status.typeChecking and
/// status.observedGeneration say what kube-controller-manager says — read back with the real kubectl.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ValidatingAdmissionPolicyStatusTests : ControllerCluster
{
    [Fact]
    public async Task A_policy_selecting_undefined_fields_gets_kube_worded_warnings_per_expression()
    {
        await Client.AdmissionregistrationV1.CreateValidatingAdmissionPolicyAsync(new V1ValidatingAdmissionPolicy
        {
            Metadata = new V1ObjectMeta { Name = "replicas" },
            Spec = new V1ValidatingAdmissionPolicySpec
            {
                MatchConstraints = new V1MatchResources
                {
                    ResourceRules = [new V1NamedRuleWithOperations { ApiGroups = ["apps"], ApiVersions = ["v1"], Operations = ["CREATE"], Resources = ["deployments", "replicasets"] }],
                },
                Validations =
                [
                    new V1Validation { Expression = "object.replicas > 1", MessageExpression = "'replicas: ' + string(object.spec.replicas)" },
                    new V1Validation { Expression = "object.spec.template.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.Privileged))" },
                    new V1Validation { Expression = "object.metadata.name != 'x' && object.spec.selector.matchLabels['app'] != ''" },
                ],
            },
        });

        V1ValidatingAdmissionPolicy checkedPolicy = await Polling.Eventually(
            () => Client.AdmissionregistrationV1.ReadValidatingAdmissionPolicyAsync("replicas"),
            p => p.Status?.ObservedGeneration == 1,
            "the policy is type-checked",
            TimeSpan.FromSeconds(60),
            detail: DetailAsync);

        IList<V1ExpressionWarning> warnings = checkedPolicy.Status.TypeChecking.ExpressionWarnings;
        Assert.Equal(["spec.validations[0].expression", "spec.validations[1].expression"], warnings.Select(w => w.FieldRef));
        Assert.Equal(
            "apps/v1, Kind=Deployment: ERROR: <input>:1:7: undefined field 'replicas'\n | object.replicas > 1\n | ......^\n\n"
            + "apps/v1, Kind=ReplicaSet: ERROR: <input>:1:7: undefined field 'replicas'\n | object.replicas > 1\n | ......^\n",
            warnings[0].Warning);
        string privileged = "object.spec.template.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.Privileged))";
        Assert.StartsWith(
            $"apps/v1, Kind=Deployment: ERROR: <input>:1:{privileged.IndexOf(".Privileged", StringComparison.Ordinal) + 1}: undefined field 'Privileged'\n | {privileged}\n",
            warnings[1].Warning,
            StringComparison.Ordinal);

        // A fixed policy is checked again at its new generation, and has no warnings.
        V1ValidatingAdmissionPolicy fixedPolicy = checkedPolicy;
        fixedPolicy.Spec.Validations = [new V1Validation { Expression = "object.spec.replicas > 1" }];
        await Client.AdmissionregistrationV1.ReplaceValidatingAdmissionPolicyAsync(fixedPolicy, "replicas");
        V1ValidatingAdmissionPolicy recheck = await Polling.Eventually(
            () => Client.AdmissionregistrationV1.ReadValidatingAdmissionPolicyAsync("replicas"),
            p => p.Status?.ObservedGeneration == 2,
            "the new generation is type-checked",
            TimeSpan.FromSeconds(60),
            detail: DetailAsync);
        Assert.Null(recheck.Status.TypeChecking.ExpressionWarnings);

        (int code, string output, string error) = await RealKubectl.RunAsync(Kubeconfig, "get", "validatingadmissionpolicy", "replicas", "-o", "json");
        Assert.True(code == 0, error);
        JsonNode status = JsonNode.Parse(output)!["status"]!;
        Assert.Equal(2, (long?)status["observedGeneration"]);
        Assert.NotNull(status["typeChecking"]);
    }

    private async Task<string> DetailAsync()
    {
        var api = new global::Navarch.Client.RawApi(Client);
        using HttpResponseMessage openApi = await api.SendAsync(HttpMethod.Get, "/openapi/v3/apis/apps/v1");
        string document = await openApi.Content.ReadAsStringAsync();
        V1ValidatingAdmissionPolicy policy = await Client.AdmissionregistrationV1.ReadValidatingAdmissionPolicyAsync("replicas");
        return $"policy: {KubernetesJson.Serialize(policy)}; openapi {(int)openApi.StatusCode} {document.Length} chars, Deployment gvk: {document.Contains("\"kind\":\"Deployment\"", StringComparison.Ordinal)}";
    }
}
