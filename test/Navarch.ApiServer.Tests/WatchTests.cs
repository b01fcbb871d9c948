using System.Net;
using k8s;
using k8s.Models;

namespace Navarch.ApiServer.Tests;

[Trait("Category", "Integration")]
public sealed class WatchTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly Kubernetes _client = fixture.Client;

    [Fact]
    public async Task A_watch_from_a_resource_version_sees_every_later_change_in_order_with_selectors_applied()
    {
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "watching" } });
        V1ConfigMapList start = await _client.CoreV1.ListNamespacedConfigMapAsync("watching");
        var events = new List<(WatchEventType Type, string Name, string? Color)>();
        var done = new TaskCompletionSource();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Task watching = Task.Run(async () =>
        {
            await foreach ((WatchEventType type, V1ConfigMap cm) in _client.CoreV1.WatchListNamespacedConfigMapAsync(
                "watching", resourceVersion: start.Metadata.ResourceVersion, labelSelector: "color=blue", cancellationToken: cts.Token))
            {
                events.Add((type, cm.Metadata.Name, (cm.Metadata.Labels is { } l && l.TryGetValue("color", out string? c) ? c : null)));
                if (events.Count == 4)
                {
                    done.SetResult();
                    return;
                }
            }
        });

        var a = await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a", Labels = new Dictionary<string, string> { ["color"] = "blue" } } }, "watching");
        await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "red", Labels = new Dictionary<string, string> { ["color"] = "red" } } }, "watching");
        a.Data = new Dictionary<string, string> { ["k"] = "v" };
        a = await _client.CoreV1.ReplaceNamespacedConfigMapAsync(a, "a", "watching");
        a.Metadata.Labels["color"] = "green";
        a = await _client.CoreV1.ReplaceNamespacedConfigMapAsync(a, "a", "watching");
        a.Metadata.Labels["color"] = "blue";
        await _client.CoreV1.ReplaceNamespacedConfigMapAsync(a, "a", "watching");
        await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cts.CancelAsync();

        // Leaving the selector is a DELETED, coming back an ADDED; the red one never shows.
        Assert.Equal(
            [(WatchEventType.Added, "a", "blue"), (WatchEventType.Modified, "a", "blue"), (WatchEventType.Deleted, "a", "green"), (WatchEventType.Added, "a", "blue")],
            events);
    }

    [Fact]
    public async Task A_watch_from_a_compacted_resource_version_gets_410_expired()
    {
        // PodTemplates: a kind nothing in the API server watches, so no watch cache holds its history (as on
        // Kubernetes, a watch cache serves watches from the events it kept, compacted in the store or not).
        var template = await _client.CoreV1.CreateNamespacedPodTemplateAsync(new V1PodTemplate { Metadata = new V1ObjectMeta { Name = "old" }, Template = new V1PodTemplateSpec { Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] } } }, "default");
        await _client.CoreV1.DeleteNamespacedPodTemplateAsync("old", "default");
        long now = await fixture.Server.Store.GetCurrentRevisionAsync();
        await fixture.Server.Store.CompactAsync(now);

        using HttpResponseMessage response = await fixture.Http.GetAsync(new Uri($"/api/v1/namespaces/default/podtemplates?watch=1&resourceVersion={long.Parse(template.Metadata.ResourceVersion) - 1}&timeoutSeconds=5", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"type\":\"ERROR\"", body, StringComparison.Ordinal);
        Assert.Contains("\"code\":410", body, StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"Expired\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_watch_with_bookmarks_streams_every_event_of_a_burst()
    {
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "bookmarked" } });
        string rv = (await _client.CoreV1.ListNamespacedConfigMapAsync("bookmarked")).Metadata.ResourceVersion;
        Task<string> body = fixture.Http.GetStringAsync(new Uri($"/api/v1/namespaces/bookmarked/configmaps?watch=1&allowWatchBookmarks=true&resourceVersion={rv}&timeoutSeconds=3", UriKind.Relative));
        // No wait for the watch to register: it starts at rv, so writes made before the server has it still arrive.
        for (int i = 0; i < 5; i++)
        {
            await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"burst-{i}" } }, "bookmarked");
        }

        string stream = await body;
        Assert.Equal(5, stream.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(line => line.Contains("\"type\":\"ADDED\"", StringComparison.Ordinal)));
    }
}
