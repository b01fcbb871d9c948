using System.Diagnostics;
using k8s;
using k8s.Models;
using Xunit.Abstractions;

namespace Navarch.ApiServer.Tests;

[Trait("Category", "Integration")]
public sealed class WatchCacheTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task One_change_reaches_two_hundred_watchers()
    {
        const int watchers = 200;
        await fixture.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "fanout" } });
        string rv = (await fixture.Client.CoreV1.ListNamespacedConfigMapAsync("fanout")).Metadata.ResourceVersion;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        int ready = 0;
        var clock = new Stopwatch();
        Task<double>[] seen = Enumerable.Range(0, watchers).Select(_ => Task.Run(async () =>
        {
            // Raw streaming GETs over one HTTP/2 connection each; the server answers them from its watch cache.
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/api/v1/namespaces/fanout/configmaps?watch=1&resourceVersion={rv}", UriKind.Relative));
            using HttpResponseMessage response = await fixture.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
            Interlocked.Increment(ref ready);
            string? line = await reader.ReadLineAsync(cts.Token);
            Assert.Contains("\"ADDED\"", line, StringComparison.Ordinal);
            return clock.Elapsed.TotalMilliseconds;
        })).ToArray();

        await Eventually(() => Volatile.Read(ref ready) == watchers, $"{watchers} watchers are connected", interval: TimeSpan.FromMilliseconds(20));

        clock.Start();
        await fixture.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "broadcast" } }, "fanout");
        double[] latencies = (await Task.WhenAll(seen)).Order().ToArray();
        output.WriteLine($"{watchers} watchers: last one saw the change after {latencies[^1]:0.0} ms (median {latencies[watchers / 2]:0.0} ms)");
        Assert.Equal(watchers, latencies.Length);
    }

    [Fact]
    public async Task A_list_at_any_revision_is_served_from_the_cache_and_sees_recent_writes()
    {
        await fixture.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "cached" } });
        await fixture.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "one" } }, "cached");
        // The cache follows the store asynchronously; a write shows up in it within moments.
        V1ConfigMapList list = await Eventually(
            () => fixture.Client.CoreV1.ListNamespacedConfigMapAsync("cached", resourceVersion: "0"), l => l.Items?.Count == 1, "the cache lists the write",
            interval: TimeSpan.FromMilliseconds(20));

        Assert.Equal("one", Assert.Single(list.Items).Metadata.Name);
        Assert.True(long.Parse(list.Metadata.ResourceVersion) >= long.Parse(list.Items[0].Metadata.ResourceVersion));
    }
}
