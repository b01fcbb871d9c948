using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Navarch.Client.Informers;
using Navarch.Testing;

namespace Navarch.Client.Tests;

/// <summary>A handler that throws on one object neither ends the informer nor keeps the other handlers from their events.</summary>
[Trait("Category", "Integration")]
public sealed class InformerPoisonTests : IAsyncLifetime
{
    private ApiServerHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiServerHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_throwing_handler_is_logged_and_delivery_goes_on()
    {
        var seen = new ConcurrentQueue<string>();
        var informer = new Informer<V1ConfigMap>(_host.Client, "default");
        informer.AddHandler(new ResourceEventHandler<V1ConfigMap>(m =>
        {
            if (m.Metadata.Name == "poison")
            {
                throw new InvalidOperationException("poison");
            }
        }));
        informer.AddHandler(new ResourceEventHandler<V1ConfigMap>(m => seen.Enqueue(m.Metadata.Name)));
        using var cts = new CancellationTokenSource();
        Task run = informer.RunAsync(cts.Token);
        await informer.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(30));

        foreach (string name in new[] { "poison", "after" })
        {
            await _host.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name } }, "default");
        }

        for (int i = 0; i < 500 && !seen.Contains("after"); i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal(["poison", "after"], seen.ToArray());
        Assert.False(run.IsCompleted);
        await cts.CancelAsync();
        await run;
    }
}
