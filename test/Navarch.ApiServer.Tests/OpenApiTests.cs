using System.Text.Json.Nodes;

namespace Navarch.ApiServer.Tests;

[Trait("Category", "Integration")]
public sealed class OpenApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private async Task<JsonNode> GetJson(string path) =>
        JsonNode.Parse(await fixture.Http.GetStringAsync(new Uri(path, UriKind.Relative)))!;

    private static IEnumerable<string> Refs(JsonNode? node) => node switch
    {
        // A property may itself be called "$ref" (JSONSchemaProps has one): only string values are references.
        JsonObject o => o.SelectMany(kv => kv.Key == "$ref" && kv.Value is JsonValue v && v.TryGetValue(out string? r) ? [r] : Refs(kv.Value)),
        JsonArray a => a.SelectMany(Refs),
        _ => [],
    };

    [Fact]
    public async Task The_v3_documents_cover_every_group_version_and_every_reference_resolves()
    {
        JsonNode index = await GetJson("/openapi/v3");
        var groupVersions = index["paths"]!.AsObject().Select(kv => kv.Key).ToList();
        Assert.Contains("api/v1", groupVersions);
        Assert.Contains("apis/apps/v1", groupVersions);
        Assert.Contains("apis/events.k8s.io/v1", groupVersions);
        foreach (string gv in groupVersions)
        {
            JsonNode doc = await GetJson(index["paths"]![gv]!["serverRelativeURL"]!.GetValue<string>());
            JsonObject schemas = doc["components"]!["schemas"]!.AsObject();
            foreach (string reference in Refs(doc).Distinct())
            {
                Assert.True(schemas.ContainsKey(reference["#/components/schemas/".Length..]), $"{gv}: dangling {reference}");
            }
        }

        JsonNode apps = await GetJson("/openapi/v3/apis/apps/v1");
        JsonNode patch = apps["paths"]!["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]!["patch"]!;
        Assert.Equal("Deployment", patch["x-kubernetes-group-version-kind"]!["kind"]!.GetValue<string>());
        Assert.Contains(patch["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "fieldValidation");
        JsonNode deployment = apps["components"]!["schemas"]!["io.k8s.api.apps.v1.Deployment"]!;
        Assert.Equal("Deployment", deployment["x-kubernetes-group-version-kind"]![0]!["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_v2_document_describes_every_resource_with_resolvable_definitions()
    {
        JsonNode doc = await GetJson("/openapi/v2");
        Assert.Equal("2.0", doc["swagger"]!.GetValue<string>());
        JsonObject definitions = doc["definitions"]!.AsObject();
        foreach (string reference in Refs(doc).Distinct())
        {
            Assert.True(definitions.ContainsKey(reference["#/definitions/".Length..]), $"dangling {reference}");
        }

        Assert.True(doc["paths"]!.AsObject().ContainsKey("/api/v1/namespaces/{namespace}/pods/{name}"));
        Assert.Contains("rolling update", definitions["io.k8s.navarch.DeploymentStrategy"]!["properties"]!["rollingUpdate"]!["description"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }
}
