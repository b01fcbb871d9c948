using System.Net;
using System.Text;
using System.Text.Json;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests;

/// <summary>Whatever a client sends, the answer is a Kubernetes Status with the right code — never a 500 — and nothing partial is stored.</summary>
[Trait("Category", "Integration")]
public sealed class RobustnessTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    public static TheoryData<string, string, string, string, int> BadRequests => new()
    {
        { "POST", "/api/v1/namespaces/default/configmaps", "application/json", "{\"kind\":\"ConfigMap\",", 400 },
        { "POST", "/api/v1/namespaces/default/configmaps", "application/json", "[1,2,3]", 400 },
        { "POST", "/api/v1/namespaces/default/configmaps", "application/yaml", "kind: [unclosed", 400 },
        { "POST", "/api/v1/namespaces/default/configmaps", "application/json", "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"wrong-kind\"}}", 400 },
        { "POST", "/api/v1/namespaces/default/configmaps", "application/json", "{\"metadata\":{\"name\":\"ns-mismatch\",\"namespace\":\"kube-system\"}}", 400 },
        { "POST", "/api/v1/namespaces/default/configmaps", "text/plain", "hello", 415 },
        { "POST", "/api/v1/namespaces/default/configmaps", "application/json", "{\"metadata\":{\"name\":\"typed\"},\"data\":{\"a\":5}}", 400 },
        { "POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", "application/json", "{\"metadata\":{\"name\":\"strict\"},\"bogus\":1}", 400 },
        { "POST", "/api/v1/namespaces/default/configmaps", "application/json", "{\"metadata\":{\"name\":\"UPPER\"}}", 422 },
        { "POST", "/api/v1/namespaces/default/configmaps", "application/json", "", 400 },
        { "GET", "/api/v1/namespaces/default/configmaps?labelSelector=a%20in%20(", "", "", 400 },
        { "GET", "/api/v1/namespaces/default/configmaps?limit=-5", "", "", 400 },
        { "GET", "/api/v1/namespaces/default/configmaps?limit=999999999999999999999999", "", "", 400 },
        { "GET", "/api/v1/namespaces/default/configmaps?continue=garbage", "", "", 400 },
        { "GET", "/api/v1/namespaces/default/pods?fieldSelector=status.nope%3Dx", "", "", 400 },
        { "GET", "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=abc", "", "", 400 },
        { "GET", "/api/v1/nosuchresource", "", "", 404 },
        { "GET", "/apis/nosuch.group/v1/things", "", "", 404 },
        { "PATCH", "/api/v1/namespaces/default/configmaps/nothing", "application/merge-patch+json", "{}", 404 },
        { "PATCH", "/api/v1/namespaces/default/services/kubernetes", "application/xml", "<a/>", 415 },
        { "PATCH", "/api/v1/namespaces/default/services/kubernetes", "application/json-patch+json", "{\"not\":\"a list\"}", 400 },
        { "DELETE", "/api/v1/namespaces/default/configmaps/nothing", "", "", 404 },
        { "PUT", "/api/v1/namespaces/default/services/kubernetes", "application/json", "{\"metadata\":{\"name\":\"other\"}}", 400 },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_requests_get_a_status_with_the_right_code(string method, string path, string contentType, string body, int code)
    {
        long before = await fixture.Server.Store.GetCurrentRevisionAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (contentType.Length > 0)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }

        using HttpResponseMessage response = await fixture.Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.Equal(code, (int)response.StatusCode);
        using JsonDocument status = JsonDocument.Parse(text);
        Assert.Equal("Status", status.RootElement.GetProperty("kind").GetString());
        Assert.Equal("Failure", status.RootElement.GetProperty("status").GetString());
        Assert.Equal(code, status.RootElement.GetProperty("code").GetInt32());
        Assert.Empty(await StoreWrites.SinceAsync(fixture.Server.Store, before));
    }

    [Fact]
    public async Task Field_validation_warn_accepts_unknown_fields_with_a_warning_header()
    {
        using HttpResponseMessage response = await fixture.Http.PostAsync(
            new Uri("/api/v1/namespaces/default/configmaps?fieldValidation=Warn", UriKind.Relative),
            new StringContent("{\"metadata\":{\"name\":\"warned\"},\"bogus\":1}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Contains("299 - \"unknown field \\\"bogus\\\"\"", response.Headers.GetValues("Warning").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_body_is_413_and_nothing_is_stored()
    {
        long before = await fixture.Server.Store.GetCurrentRevisionAsync();
        string big = "{\"metadata\":{\"name\":\"big\"},\"data\":{\"a\":\"" + new string('x', 3 * 1024 * 1024) + "\"}}";
        using HttpResponseMessage response = await fixture.Http.PostAsync(new Uri("/api/v1/namespaces/default/configmaps", UriKind.Relative), new StringContent(big, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(await StoreWrites.SinceAsync(fixture.Server.Store, before));
    }

    [Fact]
    public async Task Random_bytes_never_produce_a_server_error()
    {
        var random = new Random(42);
        string[] paths = ["/api/v1/namespaces/default/configmaps", "/apis/apps/v1/namespaces/default/deployments", "/api/v1/namespaces", "/api/v1/namespaces/default/services/kubernetes"];
        string[] types = ["application/json", "application/yaml", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/json-patch+json"];
        for (int i = 0; i < 120; i++)
        {
            byte[] junk = new byte[random.Next(0, 300)];
            random.NextBytes(junk);
            string method = i % 3 == 0 ? "PATCH" : i % 3 == 1 ? "POST" : "PUT";
            using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(paths[i % paths.Length], UriKind.Relative)) { Content = new ByteArrayContent(junk) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(types[i % types.Length]);
            using HttpResponseMessage response = await fixture.Http.SendAsync(request);
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{method} {paths[i % paths.Length]} with {junk.Length} random bytes gave {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task Unauthenticated_requests_get_401_except_health_and_version()
    {
        using HttpClient anonymous = fixture.NewHttp(withClientCertificate: false);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri("/api/v1/namespaces", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(new Uri("/version", UriKind.Relative))).StatusCode);
    }
}
