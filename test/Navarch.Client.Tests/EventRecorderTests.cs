using k8s;
using k8s.Models;
using Navarch.Testing;
using Navarch.Client.Events;

namespace Navarch.Client.Tests;

[Trait("Category", "Integration")]
public sealed class EventRecorderTests : IAsyncLifetime
{
    private ApiServerHost _host = null!;

    private Kubernetes Client => _host.Client;

    public async Task InitializeAsync() => _host = await ApiServerHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Repeats_are_aggregated_into_one_event_with_a_count()
    {
        V1ConfigMap subject = await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "subject" } }, "default");
        subject.ApiVersion = "v1";
        subject.Kind = "ConfigMap";
        await using (var recorder = new EventRecorder(Client, "test-controller"))
        {
            recorder.Event(subject, "Normal", "Synced", "synced once");
            recorder.Event(subject, "Normal", "Synced", "synced once");
            recorder.Event(subject, "Normal", "Synced", "synced once");
            recorder.Event(subject, "Warning", "Failed", "something else");
        }

        Corev1EventList events = await Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=subject");
        Assert.Equal(2, events.Items.Count);
        Corev1Event synced = events.Items.Single(e => e.Reason == "Synced");
        Assert.Equal(3, synced.Count);
        Assert.Equal("test-controller", synced.Source.Component);
        Assert.Equal(subject.Metadata.Uid, synced.InvolvedObject.Uid);
        Assert.StartsWith("subject.", synced.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal(1, events.Items.Single(e => e.Reason == "Failed").Count);
    }
}
