using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.ApiServer.Tests.Http;

/// <summary>Query parameters, paths and shapes as kube-apiserver answers them, over a real server (issue 17).</summary>
[Trait("Category", "Integration")]
public sealed class RequestParsingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Pythons_watch_True_is_a_watch()
    {
        await fixture.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "watched" } }, "default");
        string body = await fixture.Http.GetStringAsync(new Uri("/api/v1/namespaces/default/configmaps?watch=True&timeoutSeconds=1", UriKind.Relative));
        Assert.Contains("\"type\":\"ADDED\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("ConfigMapList", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/version/")]
    [InlineData("/version")]
    [InlineData("/healthz/")]
    [InlineData("/readyz/ping")]
    [InlineData("/api/")]
    [InlineData("/apis/")]
    [InlineData("/apis/apps/v1/")]
    public async Task Paths_are_served_with_and_without_a_trailing_slash(string path)
    {
        using HttpResponseMessage response = await fixture.Http.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_list_at_a_resource_version_not_reached_waits_for_it_then_answers_504_too_large()
    {
        V1ConfigMapList now = await fixture.Client.CoreV1.ListNamespacedConfigMapAsync("default");
        long current = long.Parse(now.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture);

        // Far ahead: waited for (about 3 s), then 504 with the cause client-go's reflector looks for.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using HttpResponseMessage response = await fixture.Http.GetAsync(new Uri($"/api/v1/namespaces/default/configmaps?resourceVersion={current + 1_000_000}&resourceVersionMatch=NotOlderThan", UriKind.Relative));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(10));
        JsonNode status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(504, (int)response.StatusCode);
        Assert.Equal("Timeout", (string?)status["reason"]);
        Assert.StartsWith($"Too large resource version: {current + 1_000_000}, current: ", (string?)status["message"], StringComparison.Ordinal);
        Assert.Equal("ResourceVersionTooLarge", (string?)status["details"]!["causes"]![0]!["reason"]);
        Assert.Equal(1, (int?)status["details"]!["retryAfterSeconds"]);

        // Just ahead: a write that reaches it within the wait answers the list.
        string next = (long.Parse((await fixture.Client.CoreV1.ListNamespacedConfigMapAsync("default")).Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Task<HttpResponseMessage> waiting = fixture.Http.GetAsync(new Uri($"/api/v1/namespaces/default/configmaps?resourceVersion={next}&resourceVersionMatch=NotOlderThan", UriKind.Relative));
        await Task.Delay(500);
        await fixture.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "reached-" + Guid.NewGuid().ToString("N")[..6] } }, "default");
        using HttpResponseMessage reached = await waiting;
        Assert.Equal(HttpStatusCode.OK, reached.StatusCode);
    }

    [Fact]
    public async Task The_CSharp_clients_version_call_works()
    {
        VersionInfo version = await fixture.Client.Version.GetCodeAsync();
        Assert.Equal("1", version.Major);
        Assert.Equal("32", version.Minor);
        Assert.Equal("v1.32.0+navarch", version.GitVersion);
        // Stamped from the checkout the tests were built in: a 40-digit commit, and the platform of this process.
        Assert.Matches("^[0-9a-f]{40}$", version.GitCommit);
        Assert.Contains(version.GitTreeState, new[] { "clean", "dirty" });
        Assert.True(DateTimeOffset.TryParse(version.BuildDate, System.Globalization.CultureInfo.InvariantCulture, out DateTimeOffset built) && built.Year >= 2026, version.BuildDate);
        Assert.Equal(System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "linux/arm64" : "linux/amd64", version.Platform);
    }

    [Theory]
    [InlineData("POST", "/api/v1/namespaces/default/configmaps?dryRun=Bogus", "CreateOptions", "[]string{\"Bogus\"}")]
    [InlineData("PUT", "/api/v1/namespaces/default/configmaps/dry?dryRun=All&dryRun=Bogus", "UpdateOptions", "[]string{\"All\", \"Bogus\"}")]
    [InlineData("DELETE", "/api/v1/namespaces/default/configmaps/dry?dryRun=", "DeleteOptions", "[]string{\"\"}")]
    public async Task A_dryRun_other_than_All_is_refused_and_writes_nothing(string method, string url, string kind, string value)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(url, UriKind.Relative))
        {
            Content = method == "DELETE" ? null : new StringContent("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"dry\"}}", Encoding.UTF8, "application/json"),
        };
        using HttpResponseMessage response = await fixture.Http.SendAsync(request);
        JsonNode status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(422, (int)response.StatusCode);
        Assert.Equal("Invalid", (string?)status["reason"]);
        Assert.Equal(kind, (string?)status["details"]!["kind"]);
        Assert.Equal($"{kind}.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: {value}: supported values: \"All\"", (string?)status["message"]);
        HttpOperationException missing = await Assert.ThrowsAsync<HttpOperationException>(() => fixture.Client.CoreV1.ReadNamespacedConfigMapAsync("dry", "default"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
    }

    [Theory]
    [InlineData("resourceVersionMatch=Exact", "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided")]
    [InlineData("resourceVersion=1&resourceVersionMatch=Bogus", "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Unsupported value: \"Bogus\": supported values: \"Exact\", \"NotOlderThan\", \"\"")]
    [InlineData("resourceVersion=0&resourceVersionMatch=Exact", "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"")]
    public async Task List_options_are_validated_as_kube_apiserver_validates_them(string query, string message)
    {
        using HttpResponseMessage response = await fixture.Http.GetAsync(new Uri("/api/v1/namespaces/default/configmaps?" + query, UriKind.Relative));
        JsonNode status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(422, (int)response.StatusCode);
        Assert.Equal(message, (string?)status["message"]);
    }

    [Theory]
    [InlineData("/api/v1/namespaces/default/widgets")]
    [InlineData("/api/v1/namespaces/no-such-namespace/widgets")]
    [InlineData("/apis/example.com/v1/namespaces/default/widgets")]
    [InlineData("/apis/apps/v9/namespaces/default/deployments")]
    public async Task An_unknown_resource_group_or_version_is_kube_apiservers_404_whatever_the_namespace(string path)
    {
        using HttpResponseMessage response = await fixture.Http.GetAsync(new Uri(path, UriKind.Relative));
        JsonNode status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("the server could not find the requested resource", (string?)status["message"]);
    }

    [Fact]
    public async Task A_Service_read_back_has_an_empty_load_balancer_status()
    {
        await fixture.Client.CoreV1.CreateNamespacedServiceAsync(
            new V1Service { Metadata = new V1ObjectMeta { Name = "shaped" }, Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }] } }, "default");
        string body = await fixture.Http.GetStringAsync(new Uri("/api/v1/namespaces/default/services/shaped", UriKind.Relative));
        Assert.Contains("\"status\":{\"loadBalancer\":{}}", body, StringComparison.Ordinal);
    }
}
