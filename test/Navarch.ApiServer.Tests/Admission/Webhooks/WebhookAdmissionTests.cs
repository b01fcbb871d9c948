using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Admission.Webhooks;

/// <summary>
/// Admission webhooks end to end: a real API server calling a real HTTPS webhook server (its own CA, given as caBundle),
/// reached as a pod-less Service with manual Endpoints on loopback and as a URL. Each test works in a namespace of its
/// own that its webhooks select, so the configurations of one test never touch another's requests.
/// </summary>
[Trait("Category", "Integration")]
public sealed class WebhookAdmissionTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private WebhookTestServer _webhooks = null!;

    public async Task InitializeAsync() => _webhooks = await WebhookTestServer.StartAsync("webhook.webhook-system.svc");

    public async Task DisposeAsync() => await _webhooks.DisposeAsync();

    [Fact]
    public async Task A_mutating_webhook_behind_a_Service_patches_the_stored_object_and_warns_the_client()
    {
        string ns = await NamespaceAsync("wh-mutate");
        await ServiceAsync();
        _webhooks.Handle("/mutate", r =>
        {
            JsonObject response = WebhookTestServer.Patch(r, [new JsonObject { ["op"] = "add", ["path"] = "/data", ["value"] = new JsonObject { ["injected"] = "yes" } }]);
            response["warnings"] = new JsonArray("mutated by the test webhook");
            response["auditAnnotations"] = new JsonObject { ["why"] = "test" };
            return response;
        });
        await MutatingAsync("wh-mutate", Hook("mutate.navarch.test", ServiceConfig("/mutate"), ns));

        HttpResponseMessage created = await EventuallyCreatedAsync(ns, "cm-mutated", r => r.IsSuccessStatusCode && r.Headers.Contains("Warning"));
        Assert.Contains(created.Headers.GetValues("Warning"), w => w.Contains("mutated by the test webhook", StringComparison.Ordinal));
        V1ConfigMap stored = await fixture.Client.CoreV1.ReadNamespacedConfigMapAsync("cm-mutated", ns);
        Assert.Equal("yes", stored.Data["injected"]);

        JsonObject review = _webhooks.Reviews("/mutate")[^1];
        Assert.Equal("CREATE", (string?)review["operation"]);
        Assert.Equal(ns, (string?)review["namespace"]);
        Assert.Equal("configmaps", (string?)review["resource"]!["resource"]);
        Assert.Equal("ConfigMap", (string?)review["kind"]!["kind"]);
        Assert.False((bool)review["dryRun"]!);
        Assert.False(string.IsNullOrEmpty((string?)review["userInfo"]!["username"]));
    }

    [Fact]
    public async Task A_denying_webhook_behind_a_URL_refuses_with_its_message_as_kubectl_prints_it()
    {
        string ns = await NamespaceAsync("wh-deny");
        _webhooks.Handle("/deny", r => ((string?)r["name"])!.StartsWith("bad-", StringComparison.Ordinal)
            ? WebhookTestServer.Deny(r, $"the name {(string?)r["name"]} is not allowed")
            : WebhookTestServer.Allow(r));
        await ValidatingAsync("wh-deny", Hook("deny.navarch.test", UrlConfig("/deny"), ns));

        HttpResponseMessage refused = await EventuallyCreatedAsync(ns, "bad-one", r => r.StatusCode == HttpStatusCode.Forbidden);
        JsonNode status = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        Assert.Equal("configmaps \"bad-one\" is forbidden: admission webhook \"deny.navarch.test\" denied the request: the name bad-one is not allowed", (string?)status["message"]);
        Assert.Equal("Forbidden", (string?)status["reason"]);
        Assert.True((await CreateAsync(ns, "good-one")).IsSuccessStatusCode);

        (int exit, string output) = await KubectlAsync("create", "configmap", "bad-kubectl", "-n", ns);
        Assert.NotEqual(0, exit);
        Assert.Contains("configmaps \"bad-kubectl\" is forbidden: admission webhook \"deny.navarch.test\" denied the request: the name bad-kubectl is not allowed", output, StringComparison.Ordinal);
        (exit, output) = await KubectlAsync("create", "configmap", "fine-kubectl", "-n", ns);
        Assert.True(exit == 0, output);
    }

    [Fact]
    public async Task Failure_policies_decide_for_a_webhook_that_hangs_past_its_timeout_or_is_down()
    {
        string ns = await NamespaceAsync("wh-failure");
        _webhooks.Handle("/hang", async (r, cancellationToken) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(20), cancellationToken);
            return WebhookTestServer.Allow(r);
        });
        _webhooks.Handle("/probe", WebhookTestServer.Allow);
        int down = FreePort.Next();
        string downUrl = $"https://127.0.0.1:{down}/down";
        await ValidatingAsync(
            "wh-failure",
            Hook("probe.navarch.test", UrlConfig("/probe"), ns),
            Hook("hang-fail.navarch.test", UrlConfig("/hang"), ns, objectLabel: "hang-fail", timeoutSeconds: 1),
            Hook("hang-ignore.navarch.test", UrlConfig("/hang"), ns, objectLabel: "hang-ignore", timeoutSeconds: 1, failurePolicy: "Ignore"),
            Hook("down-fail.navarch.test", new Admissionregistrationv1WebhookClientConfig { Url = downUrl, CaBundle = _webhooks.CaBundle }, ns, objectLabel: "down-fail"),
            Hook("down-ignore.navarch.test", new Admissionregistrationv1WebhookClientConfig { Url = downUrl, CaBundle = _webhooks.CaBundle }, ns, objectLabel: "down-ignore", failurePolicy: "Ignore"));
        await Eventually(async () => (await CreateAsync(ns, "probe-" + Guid.NewGuid().ToString("N")[..8], dryRun: true)).IsSuccessStatusCode && _webhooks.Reviews("/probe").Count > 0, "the webhooks are in use");

        var clock = Stopwatch.StartNew();
        HttpResponseMessage hang = await CreateAsync(ns, "hang-fail", label: "hang-fail");
        Assert.Equal(HttpStatusCode.InternalServerError, hang.StatusCode);
        Assert.Equal(
            $"Internal error occurred: failed calling webhook \"hang-fail.navarch.test\": failed to call webhook: Post \"{_webhooks.Url("/hang")}?timeout=1s\": context deadline exceeded",
            (string?)JsonNode.Parse(await hang.Content.ReadAsStringAsync())!["message"]);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(8));

        Assert.True((await CreateAsync(ns, "hang-ignore", label: "hang-ignore")).IsSuccessStatusCode);

        HttpResponseMessage refused = await CreateAsync(ns, "down-fail", label: "down-fail");
        Assert.Equal(HttpStatusCode.InternalServerError, refused.StatusCode);
        Assert.Equal(
            $"Internal error occurred: failed calling webhook \"down-fail.navarch.test\": failed to call webhook: Post \"{downUrl}?timeout=10s\": connect: connection refused",
            (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["message"]);
        Assert.True((await CreateAsync(ns, "down-ignore", label: "down-ignore")).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Mutating_webhooks_asking_for_DELETE_see_the_stored_object_may_deny_and_may_not_patch()
    {
        string ns = await NamespaceAsync("wh-delete");
        _webhooks.Handle("/mutate-delete", r => ((string?)r["oldObject"]?["metadata"]?["name"]) switch
        {
            { } name when name.StartsWith("deny-", StringComparison.Ordinal) => WebhookTestServer.Deny(r, "this one stays"),
            { } name when name.StartsWith("patch-", StringComparison.Ordinal) => WebhookTestServer.Patch(r, [new JsonObject { ["op"] = "add", ["path"] = "/data", ["value"] = new JsonObject() }]),
            _ => WebhookTestServer.Allow(r),
        });
        V1MutatingWebhook hook = Hook("delete.navarch.test", UrlConfig("/mutate-delete"), ns);
        hook.Rules[0].Operations = ["DELETE"];
        await MutatingAsync("wh-delete", hook);
        foreach (string name in new[] { "deny-me", "patch-me", "keep-me" })
        {
            Assert.True((await CreateAsync(ns, name)).IsSuccessStatusCode);
        }

        HttpResponseMessage denied = await Polling.Eventually(
            () => DeleteAsync(ns, "deny-me", dryRun: true), r => r.StatusCode == HttpStatusCode.Forbidden, "the webhook is called on DELETE");
        denied = await DeleteAsync(ns, "deny-me");
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal(
            "configmaps \"deny-me\" is forbidden: admission webhook \"delete.navarch.test\" denied the request: this one stays",
            (string?)JsonNode.Parse(await denied.Content.ReadAsStringAsync())!["message"]);

        HttpResponseMessage patched = await DeleteAsync(ns, "patch-me");
        Assert.Equal(HttpStatusCode.InternalServerError, patched.StatusCode);
        Assert.Equal(
            "Internal error occurred: admission webhook \"delete.navarch.test\" attempted to modify the object, which is not supported for this operation",
            (string?)JsonNode.Parse(await patched.Content.ReadAsStringAsync())!["message"]);

        Assert.True((await DeleteAsync(ns, "keep-me")).IsSuccessStatusCode);
        JsonObject review = _webhooks.Reviews("/mutate-delete")[^1];
        Assert.Equal("DELETE", (string?)review["operation"]);
        Assert.Null(review["object"]);
        Assert.Equal("keep-me", (string?)review["oldObject"]!["metadata"]!["name"]);
        Assert.Equal("DeleteOptions", (string?)review["options"]!["kind"]);

        V1ConfigMapList left = await fixture.Client.CoreV1.ListNamespacedConfigMapAsync(ns);
        Assert.Equal(["deny-me", "patch-me"], left.Items.Select(c => c.Metadata.Name).Where(n => n != "kube-root-ca.crt").Order());
    }

    [Fact]
    public async Task Validating_webhooks_are_called_in_parallel_and_the_first_denial_in_order_wins()
    {
        string ns = await NamespaceAsync("wh-parallel");
        foreach (string path in new[] { "/slow-a", "/slow-b" })
        {
            _webhooks.Handle(path, async (r, cancellationToken) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(1.5), cancellationToken);
                return (string?)r["name"] == "refused" ? WebhookTestServer.Deny(r, "refused by " + path) : WebhookTestServer.Allow(r);
            });
        }

        await ValidatingAsync("wh-parallel", Hook("a.slow.navarch.test", UrlConfig("/slow-a"), ns), Hook("b.slow.navarch.test", UrlConfig("/slow-b"), ns));
        await Eventually(
            async () =>
            {
                await CreateAsync(ns, "probe", dryRun: true);
                return _webhooks.Reviews("/slow-b").Count > 0;
            },
            "the webhooks are in use",
            TimeSpan.FromSeconds(30));

        var clock = Stopwatch.StartNew();
        Assert.True((await CreateAsync(ns, "allowed")).IsSuccessStatusCode);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.4), TimeSpan.FromSeconds(2.9));
        HttpResponseMessage refused = await CreateAsync(ns, "refused");
        Assert.Equal(
            "configmaps \"refused\" is forbidden: admission webhook \"a.slow.navarch.test\" denied the request: refused by /slow-a",
            (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["message"]);
    }

    [Fact]
    public async Task Namespace_and_object_selectors_choose_which_requests_a_webhook_sees()
    {
        string selected = await NamespaceAsync("wh-selected");
        string other = await NamespaceAsync("wh-other");
        _webhooks.Handle("/select", WebhookTestServer.Allow);
        await ValidatingAsync("wh-select", Hook("select.navarch.test", UrlConfig("/select"), selected, objectLabel: "watched"));

        await Eventually(async () => (await CreateAsync(selected, "probe-" + Guid.NewGuid().ToString("N")[..8], label: "watched", dryRun: true)).IsSuccessStatusCode && _webhooks.Reviews("/select").Count > 0, "the webhook is in use");
        int before = _webhooks.Reviews("/select").Count;
        Assert.True((await CreateAsync(other, "in-other-namespace", label: "watched")).IsSuccessStatusCode);
        Assert.True((await CreateAsync(selected, "without-the-label")).IsSuccessStatusCode);
        Assert.Equal(before, _webhooks.Reviews("/select").Count);
        Assert.True((await CreateAsync(selected, "with-the-label", label: "watched")).IsSuccessStatusCode);
        Assert.Equal(before + 1, _webhooks.Reviews("/select").Count);
        Assert.Equal("with-the-label", (string?)_webhooks.Reviews("/select")[^1]["name"]);

        // Updates and deletes are matched too, on the old object's labels as well as the new one's.
        await fixture.Client.CoreV1.DeleteNamespacedConfigMapAsync("with-the-label", selected);
        JsonObject deleted = _webhooks.Reviews("/select")[^1];
        Assert.Equal("DELETE", (string?)deleted["operation"]);
        Assert.Null(deleted["object"]);
        Assert.Equal("with-the-label", (string?)deleted["oldObject"]!["metadata"]!["name"]);
    }

    [Fact]
    public async Task MatchConditions_in_CEL_narrow_the_requests_a_webhook_sees()
    {
        string ns = await NamespaceAsync("wh-conditions");
        _webhooks.Handle("/conditions", r => WebhookTestServer.Deny(r, "picked"));
        V1MutatingWebhook hook = Hook("conditions.navarch.test", UrlConfig("/conditions"), ns);
        hook.MatchConditions = [new V1MatchCondition { Name = "picked-only", Expression = "has(object.metadata.labels) && 'case' in object.metadata.labels && object.metadata.labels['case'] == 'pick'" }];
        await ValidatingAsync("wh-conditions", hook);

        HttpResponseMessage refused = await EventuallyCreatedAsync(ns, "picked", r => r.StatusCode == HttpStatusCode.Forbidden, label: "pick");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        HttpResponseMessage otherLabel = await CreateAsync(ns, "other-label", label: "other");
        Assert.True(otherLabel.IsSuccessStatusCode, await otherLabel.Content.ReadAsStringAsync());
        Assert.True((await CreateAsync(ns, "no-labels")).IsSuccessStatusCode);
        Assert.DoesNotContain(_webhooks.Reviews("/conditions"), r => (string?)r["name"] is "other-label" or "no-labels");

        hook.Name = "broken.navarch.test";
        hook.MatchConditions = [new V1MatchCondition { Name = "broken", Expression = "object.metadata.name ==" }];
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => ValidatingAsync("wh-conditions-broken", hook));
        Assert.Contains("webhooks[0].matchConditions[0].expression: Invalid value: \"object.metadata.name ==\": compilation failed: ", (string?)JsonNode.Parse(e.Response.Content)!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dry_run_reaches_a_webhook_without_side_effects_as_a_dry_run_and_stores_nothing()
    {
        string ns = await NamespaceAsync("wh-dryrun");
        _webhooks.Handle("/dry", WebhookTestServer.Allow);
        await ValidatingAsync("wh-dryrun", Hook("dry.navarch.test", UrlConfig("/dry"), ns, sideEffects: "NoneOnDryRun"));
        await Eventually(async () => (await CreateAsync(ns, "dry", dryRun: true)).IsSuccessStatusCode && _webhooks.Reviews("/dry").Count > 0, "the webhook saw the dry run");
        JsonObject review = _webhooks.Reviews("/dry")[^1];
        Assert.True((bool)review["dryRun"]!);
        Assert.Equal("All", (string?)review["options"]!["dryRun"]![0]);
        Assert.Equal("CreateOptions", (string?)review["options"]!["kind"]);
        await Assert.ThrowsAsync<HttpOperationException>(() => fixture.Client.CoreV1.ReadNamespacedConfigMapAsync("dry", ns));
    }

    [Fact]
    public async Task A_dry_run_is_refused_by_a_webhook_that_may_have_side_effects()
    {
        // v1 no longer accepts sideEffects Unknown or Some, but configurations stored by older versions keep them.
        string ns = await NamespaceAsync("wh-sideeffects");
        _webhooks.Handle("/effects", WebhookTestServer.Allow);
        var configuration = new V1ValidatingWebhookConfiguration
        {
            ApiVersion = "admissionregistration.k8s.io/v1",
            Kind = "ValidatingWebhookConfiguration",
            Metadata = new V1ObjectMeta { Name = "wh-sideeffects", Uid = Guid.NewGuid().ToString(), CreationTimestamp = DateTime.UtcNow },
            Webhooks = [ToValidating(Hook("effects.navarch.test", UrlConfig("/effects"), ns, sideEffects: "Some"))],
        };
        configuration.Webhooks[0].FailurePolicy = "Fail";
        configuration.Webhooks[0].MatchPolicy = "Equivalent";
        configuration.Webhooks[0].TimeoutSeconds = 10;
        await fixture.Server.Store.CreateAsync("/registry/validatingwebhookconfigurations/wh-sideeffects", Encoding.UTF8.GetBytes(KubernetesJson.Serialize(configuration)));

        HttpResponseMessage refused = await EventuallyCreatedAsync(ns, "dry", r => r.StatusCode == HttpStatusCode.BadRequest, dryRun: true);
        Assert.Equal("admission webhook \"effects.navarch.test\" does not support dry run", (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["message"]);
        Assert.True((await CreateAsync(ns, "real")).IsSuccessStatusCode);
        Assert.Equal("real", (string?)_webhooks.Reviews("/effects")[^1]["name"]);
    }

    [Fact]
    public async Task A_webhook_with_reinvocationPolicy_IfNeeded_is_called_again_after_a_later_webhook_changed_the_object()
    {
        string ns = await NamespaceAsync("wh-reinvoke");
        // The first (by configuration name) records whether the second has run; the second adds its key.
        _webhooks.Handle("/first", r =>
        {
            bool secondRan = r["object"]!["data"]?["second"] is not null;
            return WebhookTestServer.Patch(r, [new JsonObject { ["op"] = "add", ["path"] = "/metadata/annotations", ["value"] = new JsonObject { ["second-ran"] = secondRan ? "true" : "false" } }]);
        });
        _webhooks.Handle("/second", r => WebhookTestServer.Patch(r, [new JsonObject { ["op"] = "add", ["path"] = "/data", ["value"] = new JsonObject { ["second"] = "yes" } }]));
        V1MutatingWebhook first = Hook("first.navarch.test", UrlConfig("/first"), ns, objectLabel: "reinvoke");
        first.ReinvocationPolicy = "IfNeeded";
        await MutatingAsync("wh-reinvoke-a", first);
        await MutatingAsync("wh-reinvoke-b", Hook("second.navarch.test", UrlConfig("/second"), ns, objectLabel: "reinvoke"));

        await EventuallyCreatedAsync(ns, "reinvoked", r => r.IsSuccessStatusCode, label: "reinvoke", check: async () =>
            (await fixture.Client.CoreV1.ReadNamespacedConfigMapAsync("reinvoked", ns)).Data?.ContainsKey("second") == true);
        V1ConfigMap stored = await fixture.Client.CoreV1.ReadNamespacedConfigMapAsync("reinvoked", ns);
        Assert.Equal("true", stored.Metadata.Annotations["second-ran"]);
        Assert.Equal("yes", stored.Data["second"]);
        Assert.Equal(2, _webhooks.Reviews("/first").Count(r => (string?)r["name"] == "reinvoked" && !(bool)r["dryRun"]!));
        Assert.Single(_webhooks.Reviews("/second"), r => (string?)r["name"] == "reinvoked" && !(bool)r["dryRun"]!);
    }

    [Fact]
    public async Task Webhook_configurations_are_validated_as_Kubernetes_validates_them()
    {
        var bad = new V1MutatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = "wh-invalid" },
            Webhooks =
            [
                new V1MutatingWebhook
                {
                    Name = "short",
                    ClientConfig = new Admissionregistrationv1WebhookClientConfig { Url = "http://example.com/x" },
                    TimeoutSeconds = 31,
                    AdmissionReviewVersions = ["v1"],
                    Rules = [new V1RuleWithOperations { Operations = ["CREATE", "*"], ApiGroups = [""], ApiVersions = ["v1"], Resources = ["pods"] }],
                },
            ],
        };
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => fixture.Client.AdmissionregistrationV1.CreateMutatingWebhookConfigurationAsync(bad));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, e.Response.StatusCode);
        string message = (string)JsonNode.Parse(e.Response.Content)!["message"]!;
        Assert.Contains("webhooks[0].name: Invalid value: \"short\": should be a domain with at least three segments separated by dots", message, StringComparison.Ordinal);
        Assert.Contains("webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun", message, StringComparison.Ordinal);
        Assert.Contains("webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds", message, StringComparison.Ordinal);
        Assert.Contains("webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme", message, StringComparison.Ordinal);
        Assert.Contains("webhooks[0].rules[0].operations: Invalid value: []admissionregistration.OperationType{\"CREATE\", \"*\"}: if '*' is present, must not specify other operations", message, StringComparison.Ordinal);

        bad.Webhooks[0] = Hook("fine.navarch.test", UrlConfig("/x"), "default");
        V1MutatingWebhookConfiguration created = await fixture.Client.AdmissionregistrationV1.CreateMutatingWebhookConfigurationAsync(bad);
        V1MutatingWebhook defaulted = created.Webhooks[0];
        Assert.Equal(("Fail", "Equivalent", 10, "Never", "*"), (defaulted.FailurePolicy, defaulted.MatchPolicy, defaulted.TimeoutSeconds, defaulted.ReinvocationPolicy, defaulted.Rules[0].Scope));
        await fixture.Client.AdmissionregistrationV1.DeleteMutatingWebhookConfigurationAsync("wh-invalid");
    }

    private static V1MutatingWebhook Hook(string name, Admissionregistrationv1WebhookClientConfig config, string ns, string? objectLabel = null, int? timeoutSeconds = null, string failurePolicy = "Fail", string sideEffects = "None") => new()
    {
        Name = name,
        ClientConfig = config,
        AdmissionReviewVersions = ["v1"],
        SideEffects = sideEffects,
        FailurePolicy = failurePolicy,
        TimeoutSeconds = timeoutSeconds,
        Rules = [new V1RuleWithOperations { Operations = ["CREATE", "UPDATE", "DELETE"], ApiGroups = [""], ApiVersions = ["v1"], Resources = ["configmaps"] }],
        NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["webhook-test"] = ns } },
        ObjectSelector = objectLabel is null ? null : new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["case"] = objectLabel } },
    };

    private Admissionregistrationv1WebhookClientConfig UrlConfig(string path) => new() { Url = _webhooks.Url(path), CaBundle = _webhooks.CaBundle };

    private Admissionregistrationv1WebhookClientConfig ServiceConfig(string path) => new()
    {
        Service = new Admissionregistrationv1ServiceReference { NamespaceProperty = "webhook-system", Name = "webhook", Path = path, Port = 443 },
        CaBundle = _webhooks.CaBundle,
    };

    private async Task MutatingAsync(string name, params V1MutatingWebhook[] hooks) =>
        await fixture.Client.AdmissionregistrationV1.CreateMutatingWebhookConfigurationAsync(new V1MutatingWebhookConfiguration { Metadata = new V1ObjectMeta { Name = name }, Webhooks = hooks });

    private async Task ValidatingAsync(string name, params V1MutatingWebhook[] hooks) =>
        await fixture.Client.AdmissionregistrationV1.CreateValidatingWebhookConfigurationAsync(new V1ValidatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = name },
            Webhooks = hooks.Select(ToValidating).ToList(),
        });

    private static V1ValidatingWebhook ToValidating(V1MutatingWebhook h) => new()
    {
        Name = h.Name, ClientConfig = h.ClientConfig, AdmissionReviewVersions = h.AdmissionReviewVersions, SideEffects = h.SideEffects, FailurePolicy = h.FailurePolicy,
        TimeoutSeconds = h.TimeoutSeconds, Rules = h.Rules, NamespaceSelector = h.NamespaceSelector, ObjectSelector = h.ObjectSelector, MatchConditions = h.MatchConditions,
    };

    private async Task<string> NamespaceAsync(string name)
    {
        await fixture.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["webhook-test"] = name } } });
        return name;
    }

    /// <summary>The pod-less Service webhook-system/webhook (443) with a manual EndpointSlice on the test server's loopback port.</summary>
    private async Task ServiceAsync()
    {
        try
        {
            await fixture.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "webhook-system" } });
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
        }

        await fixture.Client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "webhook" },
            Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Name = "https", Port = 443, TargetPort = _webhooks.Port }] },
        }, "webhook-system");
        // Endpoints may not name loopback addresses (as in Kubernetes); an EndpointSlice may.
        await fixture.Client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(new V1EndpointSlice
        {
            Metadata = new V1ObjectMeta { Name = "webhook-manual", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = "webhook" } },
            AddressType = "IPv4",
            Endpoints = [new V1Endpoint { Addresses = ["127.0.0.1"], Conditions = new V1EndpointConditions { Ready = true } }],
            Ports = [new Discoveryv1EndpointPort { Name = "https", Port = _webhooks.Port, Protocol = "TCP" }],
        }, "webhook-system");
    }

    private Task<HttpResponseMessage> DeleteAsync(string ns, string name, bool dryRun = false) =>
        fixture.Http.DeleteAsync(new Uri($"/api/v1/namespaces/{ns}/configmaps/{name}{(dryRun ? "?dryRun=All" : "")}", UriKind.Relative));

    private async Task<HttpResponseMessage> CreateAsync(string ns, string name, string? label = null, bool dryRun = false)
    {
        var body = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = name } };
        if (label is not null)
        {
            body["metadata"]!["labels"] = new JsonObject { ["case"] = label };
        }

        return await fixture.Http.PostAsync(
            new Uri($"/api/v1/namespaces/{ns}/configmaps{(dryRun ? "?dryRun=All" : "")}", UriKind.Relative),
            new StringContent(body.ToJsonString(), new MediaTypeHeaderValue("application/json")));
    }

    /// <summary>
    /// Creates <paramref name="name"/> as a dry run until the answer shows the webhooks in use (the configurations reach
    /// the server through its watch), then for real; returns the real answer.
    /// </summary>
    private async Task<HttpResponseMessage> EventuallyCreatedAsync(string ns, string name, Func<HttpResponseMessage, bool> inUse, bool dryRun = false, string? label = null, Func<Task<bool>>? check = null)
    {
        await Eventually(async () => inUse(await CreateAsync(ns, name, label, dryRun: true)), $"the webhooks answer for {name}");
        HttpResponseMessage response = await CreateAsync(ns, name, label, dryRun);
        if (check is not null)
        {
            Assert.True(await check(), $"{name} after the webhooks");
        }

        return response;
    }

    private async Task<(int Exit, string Output)> KubectlAsync(params string[] args)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--kubeconfig");
        start.ArgumentList.Add(fixture.Server.AdminKubeconfigPath);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout + await stderr);
    }
}
