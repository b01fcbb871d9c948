using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Navarch.ApiServer.Tests.Http;

/// <summary>
/// client-go's watch-list: <c>sendInitialEvents=true</c> streams the current objects, then a bookmark annotated
/// <c>k8s.io/initial-events-end</c>, then changes; the options are validated as kube-apiserver's validateWatchOptions.
/// </summary>
[Trait("Category", "Integration")]
public sealed class WatchListTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private async Task<List<JsonNode>> WatchAsync(string query)
    {
        string body = await fixture.Http.GetStringAsync(new Uri("/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=2&" + query, UriKind.Relative));
        return body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!).ToList();
    }

    [Fact]
    public async Task The_initial_events_end_with_an_annotated_bookmark_at_their_revision()
    {
        foreach (string name in new[] { "wl-a", "wl-b" })
        {
            await fixture.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["watchlist"] = "yes" } } }, "default");
        }

        List<JsonNode> events = await WatchAsync("labelSelector=watchlist%3Dyes&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true");
        Assert.Equal(["ADDED", "ADDED", "BOOKMARK"], events.Select(e => (string)e["type"]!));
        Assert.Equal(["wl-a", "wl-b"], events.Take(2).Select(e => (string)e["object"]!["metadata"]!["name"]!).Order(StringComparer.Ordinal));
        JsonNode bookmark = events[2]["object"]!;
        Assert.Equal("true", (string?)bookmark["metadata"]!["annotations"]!["k8s.io/initial-events-end"]);
        Assert.Equal("ConfigMap", (string?)bookmark["kind"]);
        long bookmarked = long.Parse((string)bookmark["metadata"]!["resourceVersion"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.All(events.Take(2), e => Assert.True(long.Parse((string)e["object"]!["metadata"]!["resourceVersion"]!, System.Globalization.CultureInfo.InvariantCulture) <= bookmarked));

        // Without bookmarks allowed there is no bookmark; sendInitialEvents=false sends no initial state at all.
        Assert.Equal(["ADDED", "ADDED"], (await WatchAsync("labelSelector=watchlist%3Dyes&sendInitialEvents=true&resourceVersionMatch=NotOlderThan")).Select(e => (string)e["type"]!));
        Assert.Empty(await WatchAsync("labelSelector=watchlist%3Dyes&sendInitialEvents=false&resourceVersionMatch=NotOlderThan"));
    }

    [Theory]
    [InlineData("sendInitialEvents=true", "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")]
    [InlineData("resourceVersionMatch=NotOlderThan", "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided")]
    [InlineData("sendInitialEvents=true&resourceVersionMatch=Exact", "ListOptions.meta.k8s.io \"\" is invalid: [resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: \"Exact\": supported values: \"NotOlderThan\"]")]
    public async Task Watch_options_are_validated_as_kube_apiserver_validates_them(string query, string message)
    {
        using HttpResponseMessage response = await fixture.Http.GetAsync(new Uri("/api/v1/namespaces/default/configmaps?watch=1&" + query, UriKind.Relative));
        JsonNode status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(422, (int)response.StatusCode);
        Assert.Equal(message, (string?)status["message"]);
    }
}
