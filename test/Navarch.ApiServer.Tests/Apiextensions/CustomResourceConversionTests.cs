using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Storage;
using Navarch.Testing;
using static Navarch.ApiServer.Tests.Apiextensions.CustomResourceHarness;

namespace Navarch.ApiServer.Tests.Apiextensions;

/// <summary>
/// CRD conversion by webhook end to end: the real API server calling a real HTTPS conversion webhook (its own CA as
/// the caBundle) by URL and behind a pod-less Service, between a served version (v1: <c>spec.hostPort</c>) and the
/// storage version (v2: <c>spec.host</c> and <c>spec.port</c>) on write, read, list and watch; its failures as
/// kube-apiserver words them; and the CRD's conversion settings validated.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CustomResourceConversionTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private WebhookTestServer _webhook = null!;

    private HttpClient Http => fixture.Http;

    public async Task InitializeAsync()
    {
        _webhook = await WebhookTestServer.StartAsync("converter.conversion-system.svc");
        _webhook.HandleConversion("/convert", Convert);
    }

    public async Task DisposeAsync() => await _webhook.DisposeAsync();

    [Fact]
    public async Task A_webhook_converts_on_write_read_list_and_watch_and_objects_are_stored_in_the_storage_version()
    {
        const string group = "url.conversion.test";
        await InstallAsync(fixture.Client, Gadgets(group, new Apiextensionsv1WebhookClientConfig { Url = _webhook.Url("/convert"), CaBundle = _webhook.CaBundle }));

        JsonNode created = await ExpectAsync(Http, HttpStatusCode.Created, HttpMethod.Post, $"/apis/{group}/v1/namespaces/default/gadgets", Gadget(group, "v1", "one", "db.example:5432"));
        Assert.Equal($"{group}/v1", (string?)created["apiVersion"]);
        Assert.Equal("db.example:5432", (string?)created["spec"]!["hostPort"]);

        // Stored as v2, the storage version, in v2's shape.
        KeyValue stored = (await fixture.Server.Store.GetAsync($"/registry/{group}/gadgets/default/one"))!;
        JsonNode storedObject = JsonNode.Parse(stored.Value)!;
        Assert.Equal($"{group}/v2", (string?)storedObject["apiVersion"]);
        Assert.Equal("db.example", (string?)storedObject["spec"]!["host"]);
        Assert.Equal(5432, (int?)storedObject["spec"]!["port"]);
        Assert.Null(storedObject["spec"]!["hostPort"]);

        JsonObject review = _webhook.Reviews("/convert").First(r => (string?)r["request"]!["desiredAPIVersion"] == $"{group}/v2");
        Assert.Equal("apiextensions.k8s.io/v1", (string?)review["apiVersion"]);
        Assert.Equal("ConversionReview", (string?)review["kind"]);
        Assert.False(string.IsNullOrEmpty((string?)review["request"]!["uid"]));
        Assert.Equal($"{group}/v1", (string?)review["request"]!["objects"]![0]!["apiVersion"]);

        JsonNode asV2 = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, $"/apis/{group}/v2/namespaces/default/gadgets/one");
        Assert.Equal(("db.example", 5432), ((string?)asV2["spec"]!["host"], (int?)asV2["spec"]!["port"]));
        JsonNode asV1 = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, $"/apis/{group}/v1/namespaces/default/gadgets/one");
        Assert.Equal("db.example:5432", (string?)asV1["spec"]!["hostPort"]);
        Assert.Equal(created["metadata"]!["uid"]!.ToString(), asV1["metadata"]!["uid"]!.ToString());

        // An update through v1 goes through the webhook both ways and keeps the object's identity.
        asV1["spec"]!["hostPort"] = "db.example:6432";
        JsonNode updated = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Put, $"/apis/{group}/v1/namespaces/default/gadgets/one", asV1);
        Assert.Equal("db.example:6432", (string?)updated["spec"]!["hostPort"]);
        Assert.Equal(6432, (int?)JsonNode.Parse((await fixture.Server.Store.GetAsync($"/registry/{group}/gadgets/default/one"))!.Value)!["spec"]!["port"]);

        // A page of a LIST is converted in one review.
        await ExpectAsync(Http, HttpStatusCode.Created, HttpMethod.Post, $"/apis/{group}/v2/namespaces/default/gadgets", Gadget(group, "v2", "two", host: "cache.example", port: 6379));
        int before = _webhook.Reviews("/convert").Count;
        JsonNode list = await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, $"/apis/{group}/v1/namespaces/default/gadgets");
        Assert.Equal("GadgetList", (string?)list["kind"]);
        Assert.Equal(["db.example:6432", "cache.example:6379"], list["items"]!.AsArray().Select(i => (string?)i!["spec"]!["hostPort"]));
        Assert.Equal(before + 1, _webhook.Reviews("/convert").Count);
        Assert.Equal(2, _webhook.Reviews("/convert")[^1]["request"]!["objects"]!.AsArray().Count);

        // A watch of v1 sees an object written through v2 as v1.
        string rv = (string)list["metadata"]!["resourceVersion"]!;
        using var watchCancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var watchRequest = new HttpRequestMessage(HttpMethod.Get, new Uri($"/apis/{group}/v1/namespaces/default/gadgets?watch=true&resourceVersion={rv}&timeoutSeconds=20", UriKind.Relative));
        using HttpResponseMessage watch = await Http.SendAsync(watchRequest, HttpCompletionOption.ResponseHeadersRead, watchCancel.Token);
        using var events = new StreamReader(await watch.Content.ReadAsStreamAsync(watchCancel.Token), Encoding.UTF8);
        await ExpectAsync(Http, HttpStatusCode.Created, HttpMethod.Post, $"/apis/{group}/v2/namespaces/default/gadgets", Gadget(group, "v2", "three", host: "mq.example", port: 5672));
        JsonNode added = JsonNode.Parse((await events.ReadLineAsync(watchCancel.Token))!)!;
        Assert.Equal("ADDED", (string?)added["type"]);
        Assert.Equal($"{group}/v1", (string?)added["object"]!["apiVersion"]);
        Assert.Equal("mq.example:5672", (string?)added["object"]!["spec"]!["hostPort"]);
    }

    [Fact]
    public async Task A_webhook_behind_a_Service_is_called_through_its_endpoints()
    {
        const string group = "svc.conversion.test";
        await ConverterServiceAsync();
        await InstallAsync(fixture.Client, Gadgets(group, new Apiextensionsv1WebhookClientConfig
        {
            Service = new Apiextensionsv1ServiceReference { NamespaceProperty = "conversion-system", Name = "converter", Path = "/convert", Port = 443 },
            CaBundle = _webhook.CaBundle,
        }));

        JsonNode created = await ExpectAsync(Http, HttpStatusCode.Created, HttpMethod.Post, $"/apis/{group}/v1/namespaces/default/gadgets", Gadget(group, "v1", "svc", "api.example:443"));
        Assert.Equal("api.example:443", (string?)created["spec"]!["hostPort"]);
        Assert.Equal($"{group}/v2", (string?)JsonNode.Parse((await fixture.Server.Store.GetAsync($"/registry/{group}/gadgets/default/svc"))!.Value)!["apiVersion"]);
    }

    [Fact]
    public async Task Conversion_webhook_failures_are_500s_worded_as_kube_apiserver_words_them()
    {
        const string group = "fail.conversion.test";
        await InstallAsync(fixture.Client, Gadgets(group, new Apiextensionsv1WebhookClientConfig { Url = _webhook.Url("/convert"), CaBundle = _webhook.CaBundle }));
        foreach (string name in new[] { "refused", "renamed", "dropped" })
        {
            // Written in the storage version: no conversion on the way in.
            await ExpectAsync(Http, HttpStatusCode.Created, HttpMethod.Post, $"/apis/{group}/v2/namespaces/default/gadgets", Gadget(group, "v2", name, host: "h", port: 1));
        }

        await ExpectFailureAsync($"/apis/{group}/v1/namespaces/default/gadgets/refused", $"conversion webhook for {group}/v2, Kind=Gadget failed: refused: the test says no");
        await ExpectFailureAsync($"/apis/{group}/v1/namespaces/default/gadgets/renamed", $"conversion webhook for {group}/v2, Kind=Gadget returned invalid object: must have the same name: renamed != renamed-by-webhook");
        await ExpectFailureAsync($"/apis/{group}/v1/namespaces/default/gadgets/dropped", $"conversion webhook for {group}/v2, Kind=Gadget returned 0 objects, expected 1");

        // A webhook that is down: reads and writes that need it fail; those in the storage version do not.
        const string down = "down.conversion.test";
        string downUrl = $"https://127.0.0.1:{FreePort.Next()}/convert";
        await InstallAsync(fixture.Client, Gadgets(down, new Apiextensionsv1WebhookClientConfig { Url = downUrl, CaBundle = _webhook.CaBundle }));
        await ExpectAsync(Http, HttpStatusCode.Created, HttpMethod.Post, $"/apis/{down}/v2/namespaces/default/gadgets", Gadget(down, "v2", "stored", host: "h", port: 1));
        await ExpectAsync(Http, HttpStatusCode.OK, HttpMethod.Get, $"/apis/{down}/v2/namespaces/default/gadgets/stored");
        await ExpectFailureAsync($"/apis/{down}/v1/namespaces/default/gadgets/stored", $"conversion webhook for {down}/v2, Kind=Gadget failed: Post \"{downUrl}?timeout=30s\": connect: connection refused");
        await ExpectFailureAsync($"/apis/{down}/v1/namespaces/default/gadgets", $"conversion webhook for {down}/v2, Kind=Gadget failed: Post \"{downUrl}?timeout=30s\": connect: connection refused");
        JsonNode write = await ExpectAsync(Http, HttpStatusCode.InternalServerError, HttpMethod.Post, $"/apis/{down}/v1/namespaces/default/gadgets", Gadget(down, "v1", "new", "h:1"));
        Assert.Equal($"conversion webhook for {down}/v1, Kind=Gadget failed: Post \"{downUrl}?timeout=30s\": connect: connection refused", (string?)write["message"]);
        Assert.Null(await fixture.Server.Store.GetAsync($"/registry/{down}/gadgets/default/new"));
    }

    [Fact]
    public async Task Admission_webhooks_matched_on_an_equivalent_version_see_and_patch_the_object_in_their_version()
    {
        const string group = "equiv.conversion.test";
        await InstallAsync(fixture.Client, Gadgets(group, new Apiextensionsv1WebhookClientConfig { Url = _webhook.Url("/convert"), CaBundle = _webhook.CaBundle }));
        _webhook.Handle("/equivalent-mutate", r => WebhookTestServer.Patch(r, [new JsonObject { ["op"] = "replace", ["path"] = "/spec/port", ["value"] = 8080 }]));
        _webhook.Handle("/equivalent-validate", WebhookTestServer.Allow);
        _webhook.Handle("/exact-validate", WebhookTestServer.Allow);
        V1MutatingWebhook Hook(string name, string path, string matchPolicy) => new()
        {
            Name = name,
            ClientConfig = new Admissionregistrationv1WebhookClientConfig { Url = _webhook.Url(path), CaBundle = _webhook.CaBundle },
            AdmissionReviewVersions = ["v1"],
            SideEffects = "None",
            MatchPolicy = matchPolicy,
            Rules = [new V1RuleWithOperations { Operations = ["CREATE"], ApiGroups = [group], ApiVersions = ["v2"], Resources = ["gadgets"] }],
        };
        await fixture.Client.AdmissionregistrationV1.CreateMutatingWebhookConfigurationAsync(new V1MutatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = "equivalent-mutate" },
            Webhooks = [Hook("equivalent-mutate.navarch.test", "/equivalent-mutate", "Equivalent")],
        });
        await fixture.Client.AdmissionregistrationV1.CreateValidatingWebhookConfigurationAsync(new V1ValidatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = "equivalent-validate" },
            Webhooks = [.. new[] { Hook("equivalent-validate.navarch.test", "/equivalent-validate", "Equivalent"), Hook("exact-validate.navarch.test", "/exact-validate", "Exact") }
                .Select(h => new V1ValidatingWebhook { Name = h.Name, ClientConfig = h.ClientConfig, AdmissionReviewVersions = h.AdmissionReviewVersions, SideEffects = h.SideEffects, MatchPolicy = h.MatchPolicy, Rules = h.Rules })],
        });

        // Created through v1 once the webhooks are in use (their configurations reach the server through its watch).
        JsonNode created = await Polling.Eventually(
            async () =>
            {
                string name = "probe-" + Guid.NewGuid().ToString("N")[..8];
                return await ExpectAsync(Http, HttpStatusCode.Created, HttpMethod.Post, $"/apis/{group}/v1/namespaces/default/gadgets", Gadget(group, "v1", name, "web.example:80"));
            },
            c => (string?)c["spec"]!["hostPort"] == "web.example:8080",
            "the mutating webhook patched a v1 request as v2");
        string createdName = (string)created["metadata"]!["name"]!;

        JsonObject mutate = _webhook.Reviews("/equivalent-mutate").Last(r => (string?)r["name"] == createdName);
        Assert.Equal("v2", (string?)mutate["kind"]!["version"]);
        Assert.Equal("v1", (string?)mutate["requestKind"]!["version"]);
        Assert.Equal("v2", (string?)mutate["resource"]!["version"]);
        Assert.Equal("v1", (string?)mutate["requestResource"]!["version"]);
        Assert.Equal($"{group}/v2", (string?)mutate["object"]!["apiVersion"]);
        Assert.Equal(("web.example", 80), ((string?)mutate["object"]!["spec"]!["host"], (int?)mutate["object"]!["spec"]!["port"]));

        JsonObject validate = _webhook.Reviews("/equivalent-validate").Last(r => (string?)r["name"] == createdName);
        Assert.Equal(8080, (int?)validate["object"]!["spec"]!["port"]);
        Assert.Equal("v1", (string?)validate["requestKind"]!["version"]);
        Assert.DoesNotContain(_webhook.Reviews("/exact-validate"), r => (string?)r["name"] == createdName);

        // A request in the webhooks' own version is sent as it is, and an Exact webhook sees it too.
        JsonNode direct = await ExpectAsync(Http, HttpStatusCode.Created, HttpMethod.Post, $"/apis/{group}/v2/namespaces/default/gadgets", Gadget(group, "v2", "direct", host: "api.example", port: 443));
        Assert.Equal(8080, (int?)direct["spec"]!["port"]);
        Assert.Contains(_webhook.Reviews("/exact-validate"), r => (string?)r["name"] == "direct" && (string?)r["requestKind"]!["version"] == "v2");
    }

    [Fact]
    public async Task A_crds_conversion_settings_are_validated_as_Kubernetes_validates_them()
    {
        V1CustomResourceDefinition noWebhook = Gadgets("invalid.conversion.test", new Apiextensionsv1WebhookClientConfig());
        noWebhook.Spec.Conversion.Webhook = null;
        string message = await RefusedAsync(noWebhook);
        Assert.Contains("spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook", message, StringComparison.Ordinal);
        Assert.Contains("spec.conversion.conversionReviewVersions: Required value", message, StringComparison.Ordinal);

        V1CustomResourceDefinition badVersions = Gadgets("invalid.conversion.test", new Apiextensionsv1WebhookClientConfig { Url = "http://example.com/convert" });
        badVersions.Spec.Conversion.Webhook.ConversionReviewVersions = ["v2", "v2"];
        message = await RefusedAsync(badVersions);
        Assert.Contains("spec.conversion.webhookClientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme", message, StringComparison.Ordinal);
        Assert.Contains("spec.conversion.conversionReviewVersions[1]: Invalid value: \"v2\": duplicate version", message, StringComparison.Ordinal);
        Assert.Contains("spec.conversion.conversionReviewVersions: Invalid value: []string{\"v2\", \"v2\"}: must include at least one of v1, v1beta1", message, StringComparison.Ordinal);

        V1CustomResourceDefinition none = Gadgets("invalid.conversion.test", new Apiextensionsv1WebhookClientConfig { Url = "https://example.com/convert" });
        none.Spec.Conversion.Strategy = "None";
        message = await RefusedAsync(none);
        Assert.Contains("spec.conversion.webhookClientConfig: Forbidden: should not be set when strategy is not set to Webhook", message, StringComparison.Ordinal);
        Assert.Contains("spec.conversion.conversionReviewVersions: Forbidden: should not be set when strategy is not set to Webhook", message, StringComparison.Ordinal);

        V1CustomResourceDefinition unknown = Gadgets("invalid.conversion.test", new Apiextensionsv1WebhookClientConfig());
        unknown.Spec.Conversion = new V1CustomResourceConversion { Strategy = "Magic" };
        Assert.Contains("spec.conversion.strategy: Unsupported value: \"Magic\": supported values: \"None\", \"Webhook\"", await RefusedAsync(unknown), StringComparison.Ordinal);
    }

    /// <summary>The test's conversion webhook: v1 spec.hostPort ⇄ v2 spec.host and spec.port; some names misbehave on purpose.</summary>
    private static JsonObject Convert(JsonObject review)
    {
        JsonObject request = review["request"]!.AsObject();
        string desired = (string)request["desiredAPIVersion"]!;
        var converted = new JsonArray();
        foreach (JsonNode? item in request["objects"]!.AsArray())
        {
            var obj = (JsonObject)item!.DeepClone();
            string name = (string)obj["metadata"]!["name"]!;
            if (name == "refused")
            {
                return Answer(request, new JsonObject { ["status"] = "Failure", ["message"] = "refused: the test says no" }, []);
            }

            if (name == "dropped")
            {
                return Answer(request, new JsonObject { ["status"] = "Success" }, []);
            }

            if (name == "renamed")
            {
                obj["metadata"]!["name"] = "renamed-by-webhook";
            }

            JsonObject spec = obj["spec"]?.AsObject() ?? [];
            if (desired.EndsWith("/v2", StringComparison.Ordinal) && spec["hostPort"] is { } hostPort)
            {
                string[] parts = ((string)hostPort!).Split(':');
                obj["spec"] = new JsonObject { ["host"] = parts[0], ["port"] = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) };
            }
            else if (desired.EndsWith("/v1", StringComparison.Ordinal) && spec["host"] is { } host)
            {
                obj["spec"] = new JsonObject { ["hostPort"] = $"{(string)host!}:{(int)spec["port"]!}" };
            }

            obj["apiVersion"] = desired;
            converted.Add(obj);
        }

        return Answer(request, new JsonObject { ["status"] = "Success" }, converted);
    }

    private static JsonObject Answer(JsonObject request, JsonObject result, JsonArray converted) => new()
    {
        ["apiVersion"] = "apiextensions.k8s.io/v1",
        ["kind"] = "ConversionReview",
        ["response"] = new JsonObject { ["uid"] = (string?)request["uid"], ["result"] = result, ["convertedObjects"] = converted },
    };

    /// <summary>Gadgets of <paramref name="group"/>: v1 (served) with spec.hostPort, v2 (served, storage) with spec.host and spec.port, converted by webhook.</summary>
    private static V1CustomResourceDefinition Gadgets(string group, Apiextensionsv1WebhookClientConfig clientConfig) => new()
    {
        Metadata = new V1ObjectMeta { Name = $"gadgets.{group}" },
        Spec = new V1CustomResourceDefinitionSpec
        {
            Group = group,
            Scope = "Namespaced",
            Names = new V1CustomResourceDefinitionNames { Plural = "gadgets", Kind = "Gadget" },
            Conversion = new V1CustomResourceConversion
            {
                Strategy = "Webhook",
                Webhook = new V1WebhookConversion { ClientConfig = clientConfig, ConversionReviewVersions = ["v1"] },
            },
            Versions =
            [
                new V1CustomResourceDefinitionVersion { Name = "v1", Served = true, Storage = false, Schema = Schema(new() { ["hostPort"] = new() { Type = "string" } }) },
                new V1CustomResourceDefinitionVersion { Name = "v2", Served = true, Storage = true, Schema = Schema(new() { ["host"] = new() { Type = "string" }, ["port"] = new() { Type = "integer" } }) },
            ],
        },
    };

    private static V1CustomResourceValidation Schema(Dictionary<string, V1JSONSchemaProps> spec) => new()
    {
        OpenAPIV3Schema = new V1JSONSchemaProps
        {
            Type = "object",
            Properties = new Dictionary<string, V1JSONSchemaProps> { ["spec"] = new() { Type = "object", Properties = spec } },
        },
    };

    private static JsonObject Gadget(string group, string version, string name, string? hostPort = null, string? host = null, int port = 0) => new()
    {
        ["apiVersion"] = $"{group}/{version}",
        ["kind"] = "Gadget",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = hostPort is not null ? new JsonObject { ["hostPort"] = hostPort } : new JsonObject { ["host"] = host, ["port"] = port },
    };

    /// <summary>A GET that must fail as kube-apiserver fails a request on a plain error: 500, no reason, the message as it is.</summary>
    private async Task ExpectFailureAsync(string path, string message)
    {
        JsonNode status = await ExpectAsync(Http, HttpStatusCode.InternalServerError, HttpMethod.Get, path);
        Assert.Equal(message, (string?)status["message"]);
        Assert.Null(status["reason"]);
        Assert.Equal(500, (int?)status["code"]);
    }

    private async Task<string> RefusedAsync(V1CustomResourceDefinition crd)
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => fixture.Client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, e.Response.StatusCode);
        return (string)JsonNode.Parse(e.Response.Content)!["message"]!;
    }

    /// <summary>The pod-less Service conversion-system/converter (443) with a manual EndpointSlice on the webhook's loopback port.</summary>
    private async Task ConverterServiceAsync()
    {
        await fixture.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "conversion-system" } });
        await fixture.Client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "converter" },
            Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Name = "https", Port = 443, TargetPort = _webhook.Port }] },
        }, "conversion-system");
        await fixture.Client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(new V1EndpointSlice
        {
            Metadata = new V1ObjectMeta { Name = "converter-manual", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = "converter" } },
            AddressType = "IPv4",
            Endpoints = [new V1Endpoint { Addresses = ["127.0.0.1"], Conditions = new V1EndpointConditions { Ready = true } }],
            Ports = [new Discoveryv1EndpointPort { Name = "https", Port = _webhook.Port, Protocol = "TCP" }],
        }, "conversion-system");
    }
}
