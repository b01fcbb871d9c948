using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Navarch.ApiServer.Tests.Audit;

namespace Navarch.ApiServer.Tests.Admission.Policies;

/// <summary>
/// ValidatingAdmissionPolicy's variables, messageExpression, auditAnnotations and validationActions on a real, audited
/// API server: kubectl apply refused with the policy's message, variables read in order and only when selected (a
/// failing one fails only the expression that reads it), audit annotations in the audit log under the policy's name, and
/// the Audit action's validation_failure annotation.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PolicyCompositionTests(AuditedServer server) : IClassFixture<AuditedServer>
{
    private const string PolicyJson = """
        {"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicy","metadata":{"name":"replica-limit"},
         "spec":{"matchConstraints":{"resourceRules":[{"apiGroups":["apps"],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["deployments"]}]},
          "variables":[
            {"name":"replicas","expression":"object.spec.replicas"},
            {"name":"tooMany","expression":"variables.replicas > 3"},
            {"name":"broken","expression":"object.spec.nope"}],
          "validations":[
            {"expression":"!variables.tooMany","messageExpression":"'replicas ' + string(variables.replicas) + ' exceed 3'"},
            {"expression":"object.metadata.name != 'broken' || variables.broken == 1"}],
          "auditAnnotations":[{"key":"replicas","valueExpression":"'replicas: ' + string(variables.replicas)"}]}}
        """;

    [Fact]
    public async Task Variables_messages_audit_annotations_and_actions_as_kube_apiserver()
    {
        await NamespaceAsync("vap-comp-deny", "deny");
        await NamespaceAsync("vap-comp-audit", "audit");
        Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies", PolicyJson)).Code);
        await BindAsync("replica-limit-deny", "deny", "Deny");
        await BindAsync("replica-limit-audit", "audit", "Audit");

        // kubectl apply is refused with the policy's message (messageExpression over a variable that reads another); an
        // Invalid status is printed from its cause, as kubectl prints kube-apiserver's.
        (int code, string output) = await Eventually(
            () => KubectlApplyAsync(Deployment("vap-comp-deny", "big", 5)),
            r => r.Code != 0 && r.Output.Contains("denied request", StringComparison.Ordinal),
            "the policy denies");
        Assert.Contains(
            "The deployments \"big\" is invalid: : ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit-deny' denied request: replicas 5 exceed 3",
            output,
            StringComparison.Ordinal);
        Assert.Equal(1, code);

        // A passing request: the auditAnnotation is published as <policy>/<key>; the failing variable was never read.
        (HttpStatusCode created, _, string auditId) = await CreateAsync("vap-comp-deny", "small", 2);
        Assert.Equal(HttpStatusCode.Created, created);
        JsonElement done = (await server.EventsAsync(auditId, 2))[1];
        Assert.Equal("replicas: 2", done.GetProperty("annotations").GetProperty("replica-limit/replicas").GetString());

        // The expression that reads the failing variable fails with its error (failurePolicy Fail).
        (HttpStatusCode refused, string body, _) = await CreateAsync("vap-comp-deny", "broken", 1);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused);
        Assert.Equal(
            "deployments.apps \"broken\" is forbidden: ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit-deny' denied request: "
            + "expression 'object.metadata.name != 'broken' || variables.broken == 1' resulted in error: composited variable \"broken\" fails to evaluate: no such key: nope",
            (string?)JsonNode.Parse(body)!["message"]);

        // Audit: admitted, with the failure recorded as validation_failure (and the policy's own annotation).
        (HttpStatusCode audited, _, auditId) = await CreateAsync("vap-comp-audit", "big", 7);
        Assert.Equal(HttpStatusCode.Created, audited);
        JsonElement annotations = (await server.EventsAsync(auditId, 2))[1].GetProperty("annotations");
        Assert.Equal(
            """[{"message":"replicas 7 exceed 3","policy":"replica-limit","binding":"replica-limit-audit","expressionIndex":0,"validationActions":["Audit"]}]""",
            annotations.GetProperty("validation.policy.admission.k8s.io/validation_failure").GetString());
        Assert.Equal("replicas: 7", annotations.GetProperty("replica-limit/replicas").GetString());
    }

    [Fact]
    public async Task Variables_are_declared_in_order_and_audit_annotations_are_validated()
    {
        string policy = """
            {"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicy","metadata":{"name":"bad-vars"},
             "spec":{"matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["configmaps"]}]},
              "variables":[{"name":"a","expression":"variables.b"},{"name":"b","expression":"1"},{"name":"in","expression":"2"}],
              "validations":[{"expression":"variables.nope == 1"}],
              "auditAnnotations":[{"key":"k","valueExpression":"params.x"},{"key":"k","valueExpression":"'v'"}]}}
            """;
        (HttpStatusCode code, string body, _) = await server.SendAsync(HttpMethod.Post, "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies", policy);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        string message = (string)JsonNode.Parse(body)!["message"]!;
        Assert.Contains("spec.variables[0].expression: Invalid value: \"variables.b\": compilation failed: ERROR: <input>:1:10: undefined field 'b'", message, StringComparison.Ordinal);
        Assert.Contains("spec.variables[2].name: Invalid value: \"in\": name is not a valid CEL identifier", message, StringComparison.Ordinal);
        Assert.Contains("spec.validations[0].expression: Invalid value: \"variables.nope == 1\": compilation failed: ERROR: <input>:1:10: undefined field 'nope'", message, StringComparison.Ordinal);
        Assert.Contains("spec.auditAnnotations[0].valueExpression: Invalid value: \"params.x\": compilation failed: ERROR: <input>:1:1: undeclared reference to 'params'", message, StringComparison.Ordinal);
        Assert.Contains("spec.auditAnnotations[1].key: Duplicate value: \"k\"", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_policy_matching_one_version_sees_a_request_through_another_converted_to_it()
    {
        await NamespaceAsync("vap-comp-versions", "versions");
        var schema = JsonNode.Parse("""{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","properties":{"size":{"type":"integer"}}}}}}""");
        var crd = new JsonObject
        {
            ["apiVersion"] = "apiextensions.k8s.io/v1",
            ["kind"] = "CustomResourceDefinition",
            ["metadata"] = new JsonObject { ["name"] = "widgets.vap.example.com" },
            ["spec"] = new JsonObject
            {
                ["group"] = "vap.example.com",
                ["scope"] = "Namespaced",
                ["names"] = new JsonObject { ["plural"] = "widgets", ["singular"] = "widget", ["kind"] = "Widget", ["listKind"] = "WidgetList" },
                ["versions"] = new JsonArray(
                    new JsonObject { ["name"] = "v1", ["served"] = true, ["storage"] = true, ["schema"] = schema!.DeepClone() },
                    new JsonObject { ["name"] = "v2", ["served"] = true, ["storage"] = false, ["schema"] = schema.DeepClone() }),
            },
        };
        Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd.ToJsonString())).Code);
        await Eventually(() => server.SendAsync(HttpMethod.Get, "/apis/vap.example.com/v2/namespaces/vap-comp-versions/widgets"), r => r.Code == HttpStatusCode.OK, "v2 served");

        string policy = """
            {"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicy","metadata":{"name":"widget-size"},
             "spec":{"matchConstraints":{"resourceRules":[{"apiGroups":["vap.example.com"],"apiVersions":["v1"],"operations":["CREATE"],"resources":["widgets"]}]},
              "validations":[{"expression":"object.spec.size < 5",
                "messageExpression":"'size ' + string(object.spec.size) + ' as ' + object.apiVersion + ' (' + request.resource.version + ', requested ' + request.requestResource.version + ')'"}]}}
            """;
        Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies", policy)).Code);
        await BindAsync("widget-size-deny", "versions", "Deny", "widget-size");

        // Through v2, matched on v1 by the default matchPolicy Equivalent: the object is seen as v1.
        (HttpStatusCode code, string body, _) = await Eventually(
            () => server.SendAsync(HttpMethod.Post, "/apis/vap.example.com/v2/namespaces/vap-comp-versions/widgets", """{"apiVersion":"vap.example.com/v2","kind":"Widget","metadata":{"name":"big"},"spec":{"size":9}}"""),
            r => r.Code == HttpStatusCode.UnprocessableEntity,
            "the policy denies through v2");
        Assert.Equal(
            "widgets.vap.example.com \"big\" is forbidden: ValidatingAdmissionPolicy 'widget-size' with binding 'widget-size-deny' denied request: size 9 as vap.example.com/v1 (v1, requested v2)",
            (string?)JsonNode.Parse(body)!["message"]);
        Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/apis/vap.example.com/v2/namespaces/vap-comp-versions/widgets", """{"apiVersion":"vap.example.com/v2","kind":"Widget","metadata":{"name":"small"},"spec":{"size":2}}""")).Code);

        // matchPolicy Exact: the v2 request is not the policy's.
        (_, string stored, _) = await server.SendAsync(HttpMethod.Get, "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/widget-size");
        JsonNode exact = JsonNode.Parse(stored)!;
        exact["spec"]!["matchConstraints"]!["matchPolicy"] = "Exact";
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync(HttpMethod.Put, "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/widget-size", exact.ToJsonString())).Code);
        await Eventually(
            () => server.SendAsync(HttpMethod.Post, "/apis/vap.example.com/v2/namespaces/vap-comp-versions/widgets", """{"apiVersion":"vap.example.com/v2","kind":"Widget","metadata":{"generateName":"exact-"},"spec":{"size":9}}"""),
            r => r.Code == HttpStatusCode.Created,
            "an Exact policy leaves v2 alone");
    }

    private static string Deployment(string ns, string name, int replicas) => new JsonObject
    {
        ["apiVersion"] = "apps/v1",
        ["kind"] = "Deployment",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["spec"] = new JsonObject
        {
            ["replicas"] = replicas,
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } },
                ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["image"] = "busybox" }) },
            },
        },
    }.ToJsonString();

    private async Task<(HttpStatusCode Code, string Body, string AuditId)> CreateAsync(string ns, string name, int replicas) =>
        await server.SendAsync(HttpMethod.Post, $"/apis/apps/v1/namespaces/{ns}/deployments", Deployment(ns, name, replicas));

    private async Task NamespaceAsync(string name, string label) =>
        await server.SendAsync(HttpMethod.Post, "/api/v1/namespaces", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["vap-comp"] = label } },
        }.ToJsonString());

    private async Task BindAsync(string name, string label, string action, string policy = "replica-limit")
    {
        var binding = new JsonObject
        {
            ["apiVersion"] = "admissionregistration.k8s.io/v1",
            ["kind"] = "ValidatingAdmissionPolicyBinding",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["policyName"] = policy,
                ["validationActions"] = new JsonArray(action),
                ["matchResources"] = new JsonObject { ["namespaceSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["vap-comp"] = label } } },
            },
        };
        Assert.Equal(HttpStatusCode.Created, (await server.SendAsync(HttpMethod.Post, "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings", binding.ToJsonString())).Code);
    }

    private async Task<(int Code, string Output)> KubectlApplyAsync(string manifest)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.Environment["KUBECONFIG"] = server.Host.Server.AdminKubeconfigPath;
        foreach (string arg in new[] { "apply", "-f", "-" })
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(manifest);
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
