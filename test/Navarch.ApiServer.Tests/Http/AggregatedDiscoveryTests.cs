using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Testing;
using static Navarch.ApiServer.Tests.Apiextensions.CustomResourceHarness;

namespace Navarch.ApiServer.Tests.Http;

/// <summary>
/// Aggregated discovery (apidiscovery.k8s.io v2/v2beta1) from the real API server: the document's shape as
/// kube-apiserver writes it, its agreement with the legacy per-group/version documents for every resource, ETags,
/// custom resources and unreachable aggregated APIs, and the real kubectl and the official client's models reading it.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AggregatedDiscoveryTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    private const string V2Beta1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

    // What client-go (kubectl 1.32) sends.
    private const string ClientGoAccept = V2 + "," + V2Beta1 + ",application/json;q=0.9";

    private async Task<(HttpResponseMessage Response, JsonNode Body)> GetAsync(string path, string accept, string? ifNoneMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Accept", accept);
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        HttpResponseMessage response = await fixture.Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!);
    }

    private async Task<JsonArray> ItemsAsync(string path) => (await GetAsync(path, ClientGoAccept)).Body["items"]!.AsArray();

    private static JsonNode? Group(JsonArray items, string name) => items.FirstOrDefault(g => ((string?)g!["metadata"]!["name"] ?? "") == name);

    [Fact]
    public async Task Apis_answers_the_aggregated_document_in_kube_apiservers_shape_with_an_etag()
    {
        (HttpResponseMessage response, JsonNode body) = await GetAsync("/apis", ClientGoAccept);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(V2, response.Content.Headers.ContentType!.ToString().Replace(" ", "", StringComparison.Ordinal));
        Assert.Equal("Accept", response.Headers.Vary.Single());
        string etag = response.Headers.ETag!.Tag;
        Assert.Matches("^\"[0-9A-F]{128}\"$", etag);
        Assert.Equal(["kind", "apiVersion", "metadata", "items"], body.AsObject().Select(p => p.Key));
        Assert.Equal(("APIGroupDiscoveryList", "apidiscovery.k8s.io/v2"), ((string?)body["kind"], (string?)body["apiVersion"]));

        JsonArray items = body["items"]!.AsArray();
        Assert.Null(Group(items, ""));
        // Groups by priority (apiregistration.k8s.io 18000, apps 17800, events.k8s.io 17750, ...), ties by name.
        Assert.Equal(["apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io"], items.Take(4).Select(g => (string?)g!["metadata"]!["name"]));
        JsonNode apps = Group(items, "apps")!;
        Assert.Equal("""{"name":"apps","creationTimestamp":null}""", apps["metadata"]!.ToJsonString());
        JsonNode v1 = apps["versions"]![0]!;
        Assert.Equal(("v1", "Current"), ((string?)v1["version"], (string?)v1["freshness"]));
        JsonNode deployments = v1["resources"]!.AsArray().Single(r => (string?)r!["resource"] == "deployments")!;
        Assert.Equal(
            ["resource", "responseKind", "scope", "singularResource", "verbs", "shortNames", "categories", "subresources"],
            deployments.AsObject().Select(p => p.Key));
        Assert.Equal("""{"group":"","version":"","kind":"Deployment"}""", deployments["responseKind"]!.ToJsonString());
        Assert.Equal(("Namespaced", "deployment"), ((string?)deployments["scope"], (string?)deployments["singularResource"]));
        Assert.Equal("""["deploy"]""", deployments["shortNames"]!.ToJsonString());
        Assert.Equal("""["all"]""", deployments["categories"]!.ToJsonString());
        Assert.Equal("""{"subresource":"scale","responseKind":{"group":"autoscaling","version":"v1","kind":"Scale"},"verbs":["get","patch","update"]}""",
            deployments["subresources"]!.AsArray().Single(s => (string?)s!["subresource"] == "scale")!.ToJsonString());
        Assert.Equal(["v2", "v1"], Group(items, "autoscaling")!["versions"]!.AsArray().Select(v => (string?)v!["version"]));
        JsonNode namespaces = (await ItemsAsync("/api"))[0]!["versions"]![0]!["resources"]!.AsArray().Single(r => (string?)r!["resource"] == "namespaces")!;
        Assert.Equal("Cluster", (string?)namespaces["scope"]);

        // Unchanged, the same ETag answers 304 with no body; v2beta1 is the same document under its own apiVersion.
        (HttpResponseMessage notModified, _) = await GetAsync("/apis", ClientGoAccept, etag);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(etag, notModified.Headers.ETag!.Tag);
        (HttpResponseMessage beta, JsonNode betaBody) = await GetAsync("/apis/", V2Beta1);
        Assert.Equal(V2Beta1, beta.Content.Headers.ContentType!.ToString().Replace(" ", "", StringComparison.Ordinal));
        Assert.Equal("apidiscovery.k8s.io/v2beta1", (string?)betaBody["apiVersion"]);
        Assert.Equal(items.ToJsonString(), betaBody["items"]!.ToJsonString());

        // Without the aggregated media type, or preferring another, the legacy documents.
        Assert.Equal("APIGroupList", (string?)(await GetAsync("/apis", "application/json"))!.Body["kind"]);
        Assert.Equal("APIGroupList", (string?)(await GetAsync("/apis", "application/json, " + V2 + ";q=0.5")).Body["kind"]);
        Assert.Equal("APIVersions", (string?)(await GetAsync("/api", "application/json;g=other.k8s.io;v=v1;as=Thing, application/json")).Body["kind"]);
    }

    [Fact]
    public async Task Api_answers_the_core_group_with_its_subresources()
    {
        (HttpResponseMessage response, JsonNode body) = await GetAsync("/api", V2);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonNode core = body["items"]!.AsArray().Single()!;
        Assert.Equal("""{"creationTimestamp":null}""", core["metadata"]!.ToJsonString());
        JsonNode pods = core["versions"]![0]!["resources"]!.AsArray().Single(r => (string?)r!["resource"] == "pods")!;
        Assert.Equal("""{"group":"","version":"","kind":"Pod"}""", pods["responseKind"]!.ToJsonString());
        Assert.Contains("po", pods["shortNames"]!.AsArray().Select(s => (string?)s));
        JsonArray subresources = pods["subresources"]!.AsArray();
        Assert.Equal("""{"subresource":"eviction","responseKind":{"group":"policy","version":"v1","kind":"Eviction"},"verbs":["create"]}""",
            subresources.Single(s => (string?)s!["subresource"] == "eviction")!.ToJsonString());
        Assert.Contains(subresources, s => (string?)s!["subresource"] == "exec");
    }

    [Fact]
    public async Task The_aggregated_document_lists_exactly_what_legacy_discovery_lists_for_every_resource()
    {
        var legacyGroups = (await ReadAsync<V1APIGroupList>("/apis")).Groups;
        JsonArray aggregated = await ItemsAsync("/apis");
        Assert.Equal(legacyGroups.Select(g => g.Name).Order(StringComparer.Ordinal), aggregated.Select(g => (string)g!["metadata"]!["name"]!).Order(StringComparer.Ordinal));
        var documents = new List<(string Path, JsonNode Group, string Version)> { ("/api/v1", (await ItemsAsync("/api")).Single()!, "v1") };
        foreach (V1APIGroup legacy in legacyGroups)
        {
            JsonNode group = Group(aggregated, legacy.Name)!;
            Assert.Equal(legacy.PreferredVersion.Version, (string?)group["versions"]![0]!["version"]);
            Assert.Equal(legacy.Versions.Select(v => v.Version).Order(StringComparer.Ordinal), group["versions"]!.AsArray().Select(v => (string)v!["version"]!).Order(StringComparer.Ordinal));
            documents.AddRange(legacy.Versions.Select(v => ($"/apis/{v.GroupVersion}", group, v.Version)));
        }

        int compared = 0;
        foreach ((string path, JsonNode group, string version) in documents)
        {
            V1APIResourceList list = await ReadAsync<V1APIResourceList>(path);
            JsonArray resources = group["versions"]!.AsArray().Single(v => (string?)v!["version"] == version)!["resources"]!.AsArray();
            Assert.Equal(list.Resources.Count(r => !r.Name.Contains('/', StringComparison.Ordinal)), resources.Count);
            foreach (V1APIResource r in list.Resources)
            {
                string[] split = r.Name.Split('/');
                JsonNode? resource = resources.SingleOrDefault(x => (string?)x!["resource"] == split[0]);
                Assert.True(resource is not null, $"{path} {r.Name} is not in the aggregated document");
                JsonNode? entry = split.Length == 1 ? resource : resource["subresources"]?.AsArray().SingleOrDefault(s => (string?)s!["subresource"] == split[1]);
                Assert.True(entry is not null, $"{path} {r.Name} is not in the aggregated document");
                string what = $"{path} {r.Name}";
                Assert.Equal((r.Kind, r.Group ?? "", r.Version ?? "", what), ((string?)entry["responseKind"]!["kind"], (string?)entry["responseKind"]!["group"], (string?)entry["responseKind"]!["version"], what));
                Assert.Equal(string.Join(',', r.Verbs), string.Join(',', entry["verbs"]!.AsArray().Select(v => (string?)v)));
                Assert.Equal(r.Namespaced ? "Namespaced" : "Cluster", (string?)resource["scope"]);
                if (split.Length == 1)
                {
                    Assert.Equal(r.SingularName, (string?)resource["singularResource"]);
                    Assert.Equal(string.Join(',', r.ShortNames ?? []), string.Join(',', resource["shortNames"]?.AsArray().Select(v => (string?)v) ?? []));
                    Assert.Equal(string.Join(',', r.Categories ?? []), string.Join(',', resource["categories"]?.AsArray().Select(v => (string?)v) ?? []));
                }

                compared++;
            }
        }

        Assert.True(compared > 80, $"only {compared} resources compared");
    }

    [Fact]
    public async Task The_official_clients_models_read_the_document()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/apis", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Accept", V2);
        using HttpResponseMessage response = await fixture.Http.SendAsync(request);
        V2APIGroupDiscoveryList list = KubernetesJson.Deserialize<V2APIGroupDiscoveryList>(await response.Content.ReadAsStringAsync());
        V2APIResourceDiscovery jobs = list.Items.Single(g => g.Metadata.Name == "batch").Versions.Single(v => v.Version == "v1").Resources.Single(r => r.Resource == "jobs");
        Assert.Equal(("Job", "Namespaced", "job"), (jobs.ResponseKind.Kind, jobs.Scope, jobs.SingularResource));
        Assert.Contains(jobs.Subresources, s => s.Subresource == "status" && s.Verbs.Contains("patch"));

        // And the typed client keeps working beside it.
        Assert.NotEmpty((await fixture.Client.CoreV1.ListNamespaceAsync()).Items);
    }

    [Fact]
    public async Task A_custom_resource_group_appears_once_established_and_goes_when_deleted()
    {
        string cache = Directory.CreateTempSubdirectory("navarch-kubectl-cache").FullName;
        try
        {
            // kubectl with a warm discovery cache, as a user's: the new kind is found right after its CRD is created.
            (int code, string output, string error) = await RealKubectl.RunAsync(fixture.Server.AdminKubeconfigPath, "--cache-dir", cache, "api-resources", "-v=6");
            Assert.True(code == 0, error);
            Assert.Contains("deployments", output, StringComparison.Ordinal);
            // One aggregated document each for /api and /apis: no request per group/version.
            Assert.DoesNotContain("/apis/apps/v1", error, StringComparison.Ordinal);
            (string etag, JsonArray before) = await EtagAndItemsAsync();
            Assert.Null(Group(before, "discovery.example.com"));

            await InstallAsync(fixture.Client, Widgets("discovery.example.com"));
            (code, output, error) = await RealKubectl.RunAsync(fixture.Server.AdminKubeconfigPath, "--cache-dir", cache, "get", "widgets", "-A");
            Assert.True(code == 0, error);
            Assert.Contains("No resources found", output + error, StringComparison.Ordinal);
            (string changed, JsonArray after) = await EtagAndItemsAsync();
            Assert.NotEqual(etag, changed);
            JsonNode widgets = Group(after, "discovery.example.com")!["versions"]![0]!["resources"]![0]!;
            Assert.Equal("""{"resource":"widgets","responseKind":{"group":"","version":"","kind":"Widget"},"scope":"Namespaced","singularResource":"widget","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"shortNames":["wd"],"categories":["all"],"subresources":[{"subresource":"status","responseKind":{"group":"","version":"","kind":"Widget"},"verbs":["get","patch","update"]},{"subresource":"scale","responseKind":{"group":"autoscaling","version":"v1","kind":"Scale"},"verbs":["get","patch","update"]}]}""",
                Normalize(widgets));
            (code, output, error) = await RealKubectl.RunAsync(fixture.Server.AdminKubeconfigPath, "--cache-dir", cache, "api-resources", "--api-group", "discovery.example.com");
            Assert.True(code == 0, error);
            Assert.Contains("widgets", output, StringComparison.Ordinal);

            await fixture.Client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("widgets.discovery.example.com");
            await Polling.Eventually(async () => Group(await ItemsAsync("/apis"), "discovery.example.com"), g => g is null, "the CRD's group leaves discovery");
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task An_aggregated_APIService_whose_server_cannot_be_reached_is_listed_stale()
    {
        var apiService = new V1APIService
        {
            Metadata = new V1ObjectMeta { Name = "v1beta1.stale.example.com" },
            Spec = new V1APIServiceSpec
            {
                Group = "stale.example.com",
                Version = "v1beta1",
                Service = new Apiregistrationv1ServiceReference { NamespaceProperty = "default", Name = "nowhere", Port = 443 },
                InsecureSkipTLSVerify = true,
                GroupPriorityMinimum = 100,
                VersionPriority = 10,
            },
        };
        await fixture.Client.ApiregistrationV1.CreateAPIServiceAsync(apiService);
        JsonNode group = (await Polling.Eventually(async () => Group(await ItemsAsync("/apis"), "stale.example.com"), g => g is not null, "the APIService's group is listed"))!;
        Assert.Equal("""[{"version":"v1beta1","freshness":"Stale"}]""", group["versions"]!.ToJsonString());

        await fixture.Client.ApiregistrationV1.DeleteAPIServiceAsync(apiService.Metadata.Name);
        await Polling.Eventually(async () => Group(await ItemsAsync("/apis"), "stale.example.com"), g => g is null, "the APIService's group leaves discovery");
    }

    private async Task<(string Etag, JsonArray Items)> EtagAndItemsAsync()
    {
        (HttpResponseMessage response, JsonNode body) = await GetAsync("/apis", ClientGoAccept);
        return (response.Headers.ETag!.Tag, body["items"]!.AsArray());
    }

    private async Task<T> ReadAsync<T>(string path) => KubernetesJson.Deserialize<T>(await fixture.Http.GetStringAsync(new Uri(path, UriKind.Relative)));

    // The verbs' order is the catalog's; the test pins the set.
    private static string Normalize(JsonNode resource)
    {
        JsonObject copy = resource.DeepClone().AsObject();
        copy["verbs"] = new JsonArray(resource["verbs"]!.AsArray().Select(v => (string)v!).Order(StringComparer.Ordinal).Select(v => (JsonNode?)v).ToArray());
        return copy.ToJsonString();
    }
}
