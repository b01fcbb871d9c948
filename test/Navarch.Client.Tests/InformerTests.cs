using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Navarch.Client.Informers;
using Navarch.Testing;

namespace Navarch.Client.Tests;

/// <summary>Informers against a real API server over a temp store.</summary>
[Trait("Category", "Integration")]
public sealed class InformerTests : IAsyncLifetime
{
    private ApiServerHost _host = null!;

    private Kubernetes Client => _host.Client;

    public async Task InitializeAsync() => _host = await ApiServerHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private sealed class Recorder : IResourceEventHandler<V1ConfigMap>
    {
        public ConcurrentQueue<string> Events { get; } = new();

        public void OnAdd(V1ConfigMap obj) => Events.Enqueue($"add {obj.Metadata.Name}");

        public void OnUpdate(V1ConfigMap oldObj, V1ConfigMap newObj) => Events.Enqueue($"update {newObj.Metadata.Name} {Value(oldObj)}->{Value(newObj)}");

        private static string? Value(V1ConfigMap map) => map.Data is { } data && data.TryGetValue("v", out string? v) ? v : null;

        public void OnDelete(V1ConfigMap lastKnown, bool finalStateUnknown) => Events.Enqueue($"delete {lastKnown.Metadata.Name}{(finalStateUnknown ? " (tombstone)" : "")}");

        public Task WaitForAsync(int count) =>
            Eventually(() => Events.Count >= count, $"{count} events", interval: TimeSpan.FromMilliseconds(20), detail: () => $"saw {Events.Count} events: {string.Join("; ", Events)}");
    }

    private static V1ConfigMap Map(string name, string value) => new() { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["v"] = value } };

    [Fact]
    public async Task An_informer_lists_then_delivers_every_change_in_order_and_keeps_its_cache()
    {
        await Client.CoreV1.CreateNamespacedConfigMapAsync(Map("before", "1"), "default");
        var informer = new Informer<V1ConfigMap>(Client, "default");
        var recorder = new Recorder();
        informer.AddHandler(recorder);
        using var cts = new CancellationTokenSource();
        Task run = informer.RunAsync(cts.Token);
        await informer.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(informer.Store.Get("default/before"));

        await Client.CoreV1.CreateNamespacedConfigMapAsync(Map("after", "1"), "default");
        await Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"v\":\"2\"}}", V1Patch.PatchType.MergePatch), "after", "default");
        await Client.CoreV1.DeleteNamespacedConfigMapAsync("before", "default");
        await recorder.WaitForAsync(4);
        Assert.Equal(["add before", "add after", "update after 1->2", "delete before"], recorder.Events);
        Assert.Null(informer.Store.Get("default/before"));
        Assert.Equal("2", informer.Store.Get("default/after")!.Data["v"]);
        Assert.Single(informer.Store.List("default"));

        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task After_a_410_it_relists_and_reports_missed_deletions_as_tombstones()
    {
        await Client.CoreV1.CreateNamespacedConfigMapAsync(Map("doomed", "1"), "default");
        var informer = new Informer<V1ConfigMap>(Client, "default");
        var recorder = new Recorder();
        informer.AddHandler(recorder);
        using (var first = new CancellationTokenSource())
        {
            Task run = informer.RunAsync(first.Token);
            await informer.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await first.CancelAsync();
            await run;
        }

        // While the informer is away the server restarts, things change, and history is compacted away.
        await _host.RestartAsync();
        await Client.CoreV1.DeleteNamespacedConfigMapAsync("doomed", "default");
        await Client.CoreV1.CreateNamespacedConfigMapAsync(Map("newcomer", "1"), "default");
        await _host.Server.Store.CompactAsync(await _host.Server.Store.GetCurrentRevisionAsync());

        using var second = new CancellationTokenSource();
        Task again = informer.RunAsync(second.Token);
        await recorder.WaitForAsync(3);
        Assert.Equal(["add doomed", "delete doomed (tombstone)", "add newcomer"], recorder.Events);
        await second.CancelAsync();
        await again;
    }

    [Fact]
    public async Task Custom_indexes_follow_every_add_update_and_delete()
    {
        await Client.CoreV1.CreateNamespacedConfigMapAsync(Map("a", "red"), "default");
        await Client.CoreV1.CreateNamespacedConfigMapAsync(Map("b", "red"), "default");
        var informer = new Informer<V1ConfigMap>(Client, "default");
        var recorder = new Recorder();
        informer.AddHandler(recorder);
        using var cts = new CancellationTokenSource();
        Task run = informer.RunAsync(cts.Token);
        await informer.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(30));

        // Added after the cache filled: what is there is indexed at once.
        informer.Store.AddIndex("byValue", m => m.Data is { } d && d.TryGetValue("v", out string? v) ? [v] : []);
        Assert.Equal(["a", "b"], informer.Store.ByIndex("byValue", "red").Select(m => m.Metadata.Name).Order());
        Assert.Throws<InvalidOperationException>(() => informer.Store.AddIndex("byValue", _ => []));

        await Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"v\":\"blue\"}}", V1Patch.PatchType.MergePatch), "a", "default");
        await Client.CoreV1.DeleteNamespacedConfigMapAsync("b", "default");
        await recorder.WaitForAsync(4);
        Assert.Empty(informer.Store.ByIndex("byValue", "red"));
        Assert.Equal("a", Assert.Single(informer.Store.ByIndex("byValue", "blue")).Metadata.Name);
        Assert.Equal(["blue"], informer.Store.IndexValues("byValue"));
        Assert.Equal("a", Assert.Single(informer.Store.ByIndex(Indexer<V1ConfigMap>.NamespaceIndex, "default")).Metadata.Name);

        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task A_resync_hands_every_cached_object_to_the_handlers_again_each_period()
    {
        await Client.CoreV1.CreateNamespacedConfigMapAsync(Map("steady", "1"), "default");
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var informer = new Informer<V1ConfigMap>(Client, "default", time: time) { ResyncPeriod = TimeSpan.FromMinutes(5) };
        var recorder = new Recorder();
        informer.AddHandler(recorder);
        using var cts = new CancellationTokenSource();
        Task run = informer.RunAsync(cts.Token);
        await recorder.WaitForAsync(1);

        // Nothing changes on the server; each period the object comes again as an update to itself.
        for (int period = 1; period <= 2; period++)
        {
            // The resync timer may not be armed yet when the clock first moves: advance until the period's update comes.
            int seen = period;
            await Eventually(
                () =>
                {
                    if (recorder.Events.Count > seen)
                    {
                        return true;
                    }

                    time.Advance(TimeSpan.FromMinutes(5));
                    return false;
                },
                $"resync {period}",
                interval: TimeSpan.FromMilliseconds(20));
            await recorder.WaitForAsync(period + 1);
        }

        Assert.Equal(["add steady", "update steady 1->1", "update steady 1->1"], recorder.Events.Take(3));
        await cts.CancelAsync();
        await run;
    }
}
