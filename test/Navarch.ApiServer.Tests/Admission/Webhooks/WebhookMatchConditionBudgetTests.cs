using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.ApiServer.Tests.Admission.Policies;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Admission.Webhooks;

/// <summary>
/// Webhook matchConditions are evaluated as kube-apiserver's matcher evaluates them: all the conditions of one webhook
/// within one RuntimeCELCostBudgetMatchConditions budget (2,500,000). Conditions that together cost more refuse the
/// request with the CEL filter's error under failurePolicy Fail and skip the webhook under Ignore, the webhook never
/// called; each webhook of a configuration has a budget of its own.
/// </summary>
[Trait("Category", "Integration")]
public sealed class WebhookMatchConditionBudgetTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private const string Namespace = "wh-budget";
    private WebhookTestServer _webhooks = null!;

    public async Task InitializeAsync() => _webhooks = await WebhookTestServer.StartAsync("webhook.webhook-system.svc");

    public async Task DisposeAsync() => await _webhooks.DisposeAsync();

    [Fact]
    public async Task Conditions_past_the_budget_refuse_under_Fail_skip_under_Ignore_and_each_webhook_has_its_own()
    {
        await fixture.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace, Labels = new Dictionary<string, string> { ["webhook-test"] = Namespace } } });
        foreach (string path in new[] { "/fail", "/ignore", "/first", "/second" })
        {
            _webhooks.Handle(path, WebhookTestServer.Allow);
        }

        // About 900,000 units per condition: three (2,700,000) exceed one webhook's budget, two (1,800,000) do not.
        await fixture.Client.AdmissionregistrationV1.CreateValidatingWebhookConfigurationAsync(new V1ValidatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = "wh-budget" },
            Webhooks =
            [
                Hook("fail.budget.navarch.test", "/fail", "Fail", conditions: 3),
                Hook("ignore.budget.navarch.test", "/ignore", "Ignore", conditions: 3),
                Hook("first.budget.navarch.test", "/first", "Fail", conditions: 2, objectLabel: "each"),
                Hook("second.budget.navarch.test", "/second", "Fail", conditions: 2, objectLabel: "each"),
            ],
        });

        // Dry runs until the configuration is in force, so that no early create succeeds.
        HttpResponseMessage refused = await Polling.Eventually(() => CreateAsync("fail", dryRun: true), r => r.StatusCode == HttpStatusCode.Forbidden, "the Fail webhook's conditions run out of their budget");
        JsonNode status = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        Assert.Equal(
            ("configmaps \"fail\" is forbidden: validation failed due to running out of cost budget, no further validation rules will be run", "Forbidden"),
            ((string?)status["message"], (string?)status["reason"]));

        HttpResponseMessage skipped = await CreateAsync("ignore");
        Assert.Equal(HttpStatusCode.Created, skipped.StatusCode);

        // 3,600,000 units over two webhooks: both are called.
        HttpResponseMessage both = await CreateAsync("each");
        Assert.True(both.StatusCode == HttpStatusCode.Created, await both.Content.ReadAsStringAsync());
        Assert.Single(_webhooks.Reviews("/first"), r => (string?)r["name"] == "each");
        Assert.Single(_webhooks.Reviews("/second"), r => (string?)r["name"] == "each");
        Assert.Empty(_webhooks.Reviews("/fail"));
        Assert.Empty(_webhooks.Reviews("/ignore"));
    }

    private V1ValidatingWebhook Hook(string name, string path, string failurePolicy, int conditions, string? objectLabel = null) => new()
    {
        Name = name,
        ClientConfig = new Admissionregistrationv1WebhookClientConfig { Url = _webhooks.Url(path), CaBundle = _webhooks.CaBundle },
        AdmissionReviewVersions = ["v1"],
        SideEffects = "None",
        FailurePolicy = failurePolicy,
        Rules = [new V1RuleWithOperations { Operations = ["CREATE"], ApiGroups = [""], ApiVersions = ["v1"], Resources = ["configmaps"] }],
        NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["webhook-test"] = Namespace } },
        ObjectSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["case"] = objectLabel ?? path.TrimStart('/') } },
        MatchConditions = [.. Enumerable.Range(0, conditions).Select(i => new V1MatchCondition { Name = $"costly-{i}", Expression = PolicyCostBudgetTests.Costly(18) })],
    };

    private async Task<HttpResponseMessage> CreateAsync(string name, bool dryRun = false)
    {
        var body = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["case"] = name } },
            ["data"] = new JsonObject { ["big"] = new string('a', PolicyCostBudgetTests.BigLength) },
        };
        return await fixture.Http.PostAsync(new Uri($"/api/v1/namespaces/{Namespace}/configmaps{(dryRun ? "?dryRun=All" : "")}", UriKind.Relative), new StringContent(body.ToJsonString(), new MediaTypeHeaderValue("application/json")));
    }
}
