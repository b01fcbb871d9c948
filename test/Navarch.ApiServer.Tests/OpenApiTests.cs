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

    [Fact]
    public async Task The_v2_document_in_gnostics_protobuf_has_the_JSON_documents_paths_and_definitions_and_an_ETag()
    {
        using HttpResponseMessage json = await fixture.Http.GetAsync(new Uri("/openapi/v2", UriKind.Relative));
        JsonNode doc = JsonNode.Parse(await json.Content.ReadAsStringAsync())!;
        string etag = json.Headers.ETag!.Tag;

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/openapi/v2", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Accept", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf");
        using HttpResponseMessage response = await fixture.Http.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/com.github.proto-openapi.spec.v2.v1.0+protobuf", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(etag, response.Headers.ETag!.Tag);
        var proto = Api.Protobuf.OpenApi.V2.Document.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("2.0", proto.Swagger);
        Assert.Equal(doc["info"]!["version"]!.GetValue<string>(), proto.Info.Version);

        // Every path with its operations (and each one's x-kubernetes-action), every definition with its properties.
        Assert.Equal(
            doc["paths"]!.AsObject().Select(p => $"{p.Key} {string.Join(",", p.Value!.AsObject().OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}:{o.Value!["x-kubernetes-action"]}"))}"),
            proto.Paths.Path.Select(p => $"{p.Name} {string.Join(",", Operations(p.Value).Select(o => $"{o.Verb}:{o.Operation.VendorExtension.Single(e => e.Name == "x-kubernetes-action").Value.Yaml.Trim('"')}"))}"));
        Assert.Equal(
            doc["definitions"]!.AsObject().Select(d => $"{d.Key} {string.Join(",", (d.Value!["properties"] as JsonObject ?? []).Select(p => p.Key + (p.Value!["$ref"] is { } r ? "=" + r : "")))}"),
            proto.Definitions.AdditionalProperties.Select(d => $"{d.Name} {string.Join(",", (d.Value.Properties?.AdditionalProperties ?? []).Select(p => p.Name + (p.Value.Ref.Length > 0 ? "=" + p.Value.Ref : "")))}"));
        var deployment = proto.Definitions.AdditionalProperties.Single(d => d.Name == "io.k8s.api.apps.v1.Deployment").Value;
        Assert.Equal(["object"], deployment.Type.Value);
        Assert.Contains("Deployment", deployment.VendorExtension.Single(e => e.Name == "x-kubernetes-group-version-kind").Value.Yaml, StringComparison.Ordinal);

        using var again = new HttpRequestMessage(HttpMethod.Get, new Uri("/openapi/v2", UriKind.Relative));
        again.Headers.TryAddWithoutValidation("Accept", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
        again.Headers.TryAddWithoutValidation("If-None-Match", etag);
        using HttpResponseMessage notModified = await fixture.Http.SendAsync(again);
        Assert.Equal(System.Net.HttpStatusCode.NotModified, notModified.StatusCode);

        using var html = new HttpRequestMessage(HttpMethod.Get, new Uri("/openapi/v2", UriKind.Relative));
        html.Headers.TryAddWithoutValidation("Accept", "text/html");
        using HttpResponseMessage notAcceptable = await fixture.Http.SendAsync(html);
        Assert.Equal(System.Net.HttpStatusCode.NotAcceptable, notAcceptable.StatusCode);
    }

    [Fact]
    public async Task The_v2_document_is_gzipped_for_a_client_that_accepts_it_and_answers_If_Modified_Since_by_its_Last_Modified()
    {
        using HttpResponseMessage plain = await fixture.Http.GetAsync(new Uri("/openapi/v2", UriKind.Relative));
        byte[] json = await plain.Content.ReadAsByteArrayAsync();
        Assert.Empty(plain.Content.Headers.ContentEncoding);
        DateTimeOffset lastModified = plain.Content.Headers.LastModified ?? throw new Xunit.Sdk.XunitException("no Last-Modified");
        Assert.True(lastModified <= DateTimeOffset.UtcNow, lastModified.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("Accept-Encoding", plain.Headers.Vary);
        Assert.Contains("Accept", plain.Headers.Vary);

        foreach (string accept in new[] { "application/json", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf" })
        {
            using HttpResponseMessage identity = await SendAsync(("Accept", accept));
            using HttpResponseMessage gzipped = await SendAsync(("Accept", accept), ("Accept-Encoding", "deflate, gzip;q=0.5"));
            Assert.Equal(System.Net.HttpStatusCode.OK, gzipped.StatusCode);
            Assert.Equal(["gzip"], gzipped.Content.Headers.ContentEncoding);
            Assert.Equal(identity.Headers.ETag, gzipped.Headers.ETag);
            Assert.Equal(lastModified, gzipped.Content.Headers.LastModified);
            byte[] compressed = await gzipped.Content.ReadAsByteArrayAsync();
            using var inflate = new System.IO.Compression.GZipStream(new MemoryStream(compressed), System.IO.Compression.CompressionMode.Decompress);
            using var inflated = new MemoryStream();
            await inflate.CopyToAsync(inflated);
            byte[] original = await identity.Content.ReadAsByteArrayAsync();
            Assert.Equal(original, inflated.ToArray());
            Assert.True(compressed.Length < original.Length / 4, $"{compressed.Length} of {original.Length} bytes");
        }

        // gzip refused with q=0 is not gzip.
        using (HttpResponseMessage refused = await SendAsync(("Accept-Encoding", "gzip;q=0")))
        {
            Assert.Empty(refused.Content.Headers.ContentEncoding);
            Assert.Equal(json, await refused.Content.ReadAsByteArrayAsync());
        }

        string since = lastModified.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        string before = lastModified.AddSeconds(-1).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        using (HttpResponseMessage notModified = await SendAsync(("If-Modified-Since", since)))
        {
            // http.ServeContent's 304: the ETag, no Last-Modified beside it, no body.
            Assert.Equal(System.Net.HttpStatusCode.NotModified, notModified.StatusCode);
            Assert.Equal(plain.Headers.ETag, notModified.Headers.ETag);
            Assert.Null(notModified.Content.Headers.LastModified);
            Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        }

        using (HttpResponseMessage modified = await SendAsync(("If-Modified-Since", before)))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, modified.StatusCode);
            Assert.Equal(json, await modified.Content.ReadAsByteArrayAsync());
        }

        // If-None-Match, when sent, decides alone: another ETag is a 200 however recent If-Modified-Since is.
        using (HttpResponseMessage other = await SendAsync(("If-None-Match", "\"other\""), ("If-Modified-Since", since)))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, other.StatusCode);
        }

        using (HttpResponseMessage weak = await SendAsync(("If-None-Match", "W/" + plain.Headers.ETag!.Tag)))
        {
            Assert.Equal(System.Net.HttpStatusCode.NotModified, weak.StatusCode);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/openapi/v2", UriKind.Relative));
        foreach ((string name, string value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await fixture.Http.SendAsync(request);
    }

    /// <summary>A path item's operations, by name.</summary>
    private static IEnumerable<(string Verb, Api.Protobuf.OpenApi.V2.Operation Operation)> Operations(Api.Protobuf.OpenApi.V2.PathItem item)
    {
        (string, Api.Protobuf.OpenApi.V2.Operation?)[] operations = [("delete", item.Delete), ("get", item.Get), ("patch", item.Patch), ("post", item.Post), ("put", item.Put)];
        return operations.Where(o => o.Item2 is not null).Select(o => (o.Item1, o.Item2!));
    }
}
