using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer;
using Navarch.Client.Events;

namespace Navarch.Client.Tests;

public sealed class EventRecorderTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-events-");
    private ApiServer.ApiServer _server = null!;
    private Kubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _server = new ApiServer.ApiServer(new ApiServerOptions { DataDir = _dir.FullName, Port = 0, BindAddress = IPAddress.Loopback }, NullLoggerFactory.Instance);
        await _server.StartAsync();
        _client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_server.AdminKubeconfigPath));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    [Fact]
    public async Task Repeats_are_aggregated_into_one_event_with_a_count()
    {
        V1ConfigMap subject = await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "subject" } }, "default");
        subject.ApiVersion = "v1";
        subject.Kind = "ConfigMap";
        await using (var recorder = new EventRecorder(_client, "test-controller"))
        {
            recorder.Event(subject, "Normal", "Synced", "synced once");
            recorder.Event(subject, "Normal", "Synced", "synced once");
            recorder.Event(subject, "Normal", "Synced", "synced once");
            recorder.Event(subject, "Warning", "Failed", "something else");
        }

        Corev1EventList events = await _client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=subject");
        Assert.Equal(2, events.Items.Count);
        Corev1Event synced = events.Items.Single(e => e.Reason == "Synced");
        Assert.Equal(3, synced.Count);
        Assert.Equal("test-controller", synced.Source.Component);
        Assert.Equal(subject.Metadata.Uid, synced.InvolvedObject.Uid);
        Assert.StartsWith("subject.", synced.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal(1, events.Items.Single(e => e.Reason == "Failed").Count);
    }
}
