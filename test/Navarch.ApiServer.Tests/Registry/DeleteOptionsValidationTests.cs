using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.ApiServer.Tests.Registry;

/// <summary>
/// DeleteOptions are refused as meta/v1 validation's ValidateDeleteOptions refuses them (rest.BeforeDelete): the deprecated
/// <c>orphanDependents</c> beside <c>propagationPolicy</c>, from the query or the body, and an unknown policy, are a 422
/// Invalid for <c>DeleteOptions.meta.k8s.io ""</c> and the object stays.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DeleteOptionsValidationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Namespace = "default";
    private const string BothSet = "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Invalid value: \"Foreground\": orphanDependents and deletionPropagation cannot be both set";

    private async Task<(HttpStatusCode Code, JsonNode Body)> DeleteAsync(string path, string? body = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using HttpResponseMessage response = await fixture.Http.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static void AssertBothSet(HttpStatusCode code, JsonNode body)
    {
        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        Assert.Equal(("Failure", "Invalid", 422), ((string?)body["status"], (string?)body["reason"], (int?)body["code"]));
        Assert.Equal(BothSet, (string?)body["message"]);
        JsonNode details = body["details"]!;
        Assert.Equal(("", "meta.k8s.io", "DeleteOptions"), ((string?)details["name"] ?? "", (string?)details["group"], (string?)details["kind"]));
        JsonNode cause = Assert.Single(details["causes"]!.AsArray())!;
        Assert.Equal(("FieldValueInvalid", "propagationPolicy"), ((string?)cause["reason"], (string?)cause["field"]));
        Assert.Equal("Invalid value: \"Foreground\": orphanDependents and deletionPropagation cannot be both set", (string?)cause["message"]);
    }

    [Fact]
    public async Task OrphanDependents_with_propagationPolicy_is_422_from_the_query_and_from_the_body()
    {
        await fixture.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "both-set" } }, Namespace);
        string path = $"/api/v1/namespaces/{Namespace}/configmaps/both-set";

        (HttpStatusCode code, JsonNode body) = await DeleteAsync(path + "?orphanDependents=false&propagationPolicy=Foreground");
        AssertBothSet(code, body);
        (code, body) = await DeleteAsync(path, """{"kind":"DeleteOptions","apiVersion":"v1","orphanDependents":true,"propagationPolicy":"Foreground"}""");
        AssertBothSet(code, body);
        (code, body) = await DeleteAsync($"/api/v1/namespaces/{Namespace}/configmaps?orphanDependents=true&propagationPolicy=Foreground");
        AssertBothSet(code, body);

        // The official client sends both in the body; it gets the Status, and the object is still there.
        HttpOperationException e = await Assert.ThrowsAsync<HttpOperationException>(() =>
            fixture.Client.CoreV1.DeleteNamespacedConfigMapAsync("both-set", Namespace, orphanDependents: false, propagationPolicy: "Foreground"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, e.Response.StatusCode);
        Assert.Equal(BothSet, (string?)JsonNode.Parse(e.Response.Content)!["message"]);
        Assert.Equal("both-set", (await fixture.Client.CoreV1.ReadNamespacedConfigMapAsync("both-set", Namespace)).Metadata.Name);
        await fixture.Client.CoreV1.DeleteNamespacedConfigMapAsync("both-set", Namespace, propagationPolicy: "Foreground");
    }

    [Fact]
    public async Task An_unknown_propagationPolicy_is_422_NotSupported()
    {
        await fixture.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "bogus-policy" } }, Namespace);
        (HttpStatusCode code, JsonNode body) = await DeleteAsync($"/api/v1/namespaces/{Namespace}/configmaps/bogus-policy?propagationPolicy=Bogus");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        Assert.Equal(
            "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"Bogus\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"",
            (string?)body["message"]);
        await fixture.Client.CoreV1.DeleteNamespacedConfigMapAsync("bogus-policy", Namespace);
    }

    [Fact]
    public async Task A_body_wins_over_the_query_whose_options_are_then_ignored()
    {
        await fixture.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "body-wins" } }, Namespace);
        string path = $"/api/v1/namespaces/{Namespace}/configmaps/body-wins";

        // The query's dryRun is not merged into a body's options: this delete is real.
        (HttpStatusCode code, _) = await DeleteAsync(path + "?dryRun=All", """{"kind":"DeleteOptions","apiVersion":"v1"}""");
        Assert.Equal(HttpStatusCode.OK, code);
        await AssertGoneAsync("body-wins");

        // Nor is a query option that would be refused on its own.
        await fixture.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "body-wins" } }, Namespace);
        (code, _) = await DeleteAsync(path + "?propagationPolicy=Bogus&gracePeriodSeconds=soon", """{"propagationPolicy":"Background"}""");
        Assert.Equal(HttpStatusCode.OK, code);
        await AssertGoneAsync("body-wins");

        // The body's dryRun is honoured whatever the query says.
        await fixture.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "body-wins" } }, Namespace);
        (code, _) = await DeleteAsync(path, """{"dryRun":["All"]}""");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("body-wins", (await fixture.Client.CoreV1.ReadNamespacedConfigMapAsync("body-wins", Namespace)).Metadata.Name);
        await fixture.Client.CoreV1.DeleteNamespacedConfigMapAsync("body-wins", Namespace, gracePeriodSeconds: -1);
        await AssertGoneAsync("body-wins");
    }

    [Theory]
    [InlineData("?propagationPolicy=Bogus", null, 422, "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"Bogus\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"")]
    [InlineData("", """{"dryRun":["Bogus"]}""", 422, "DeleteOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{\"Bogus\"}: supported values: \"All\"")]
    [InlineData("", """{"orphanDependents":false,"propagationPolicy":"Orphan"}""", 422, "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Invalid value: \"Orphan\": orphanDependents and deletionPropagation cannot be both set")]
    [InlineData("?gracePeriodSeconds=soon", null, 400, "strconv.ParseInt: parsing \"soon\": invalid syntax")]
    [InlineData("?gracePeriodSeconds=99999999999999999999", null, 400, "strconv.ParseInt: parsing \"99999999999999999999\": value out of range")]
    public async Task Options_are_validated_before_the_object_is_looked_up(string query, string? body, int status, string message)
    {
        foreach (string path in new[] { $"/api/v1/namespaces/{Namespace}/configmaps/never-was", $"/api/v1/namespaces/{Namespace}/configmaps" })
        {
            (HttpStatusCode code, JsonNode response) = await DeleteAsync(path + query, body);
            Assert.Equal((status, message), ((int)code, (string?)response["message"]));
        }
    }

    [Fact]
    public async Task A_collection_delete_takes_its_dryRun_from_the_body()
    {
        const string ns = "delete-collection-options";
        await fixture.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        foreach (string name in new[] { "one", "two" })
        {
            await fixture.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["set"] = "a" } } }, ns);
        }

        string path = $"/api/v1/namespaces/{ns}/configmaps?labelSelector=set%3Da";
        (HttpStatusCode code, JsonNode list) = await DeleteAsync(path, """{"kind":"DeleteOptions","apiVersion":"v1","dryRun":["All"]}""");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(2, list["items"]!.AsArray().Count);
        Assert.Equal(2, (await fixture.Client.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "set=a")).Items.Count);

        (code, list) = await DeleteAsync(path + "&dryRun=All", """{"propagationPolicy":"Background"}""");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(2, list["items"]!.AsArray().Count);
        Assert.Empty((await fixture.Client.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "set=a")).Items);
    }

    private async Task AssertGoneAsync(string name)
    {
        HttpOperationException e = await Assert.ThrowsAsync<HttpOperationException>(() => fixture.Client.CoreV1.ReadNamespacedConfigMapAsync(name, Namespace));
        Assert.Equal(HttpStatusCode.NotFound, e.Response.StatusCode);
    }
}
