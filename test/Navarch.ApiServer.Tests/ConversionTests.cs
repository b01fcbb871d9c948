using k8s;
using k8s.Models;

namespace Navarch.ApiServer.Tests;

/// <summary>One stored resource served in two versions: events (core/v1 and events.k8s.io/v1), HPAs (autoscaling/v2 and v1).</summary>
[Trait("Category", "Integration")]
public sealed class ConversionTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task An_event_written_as_events_k8s_io_reads_back_as_core_v1_and_the_reverse()
    {
        var regarding = new V1ObjectReference { Kind = "Pod", Name = "web-0", NamespaceProperty = "default", ApiVersion = "v1" };
        await fixture.Client.EventsV1.CreateNamespacedEventAsync(new Eventsv1Event
        {
            Metadata = new V1ObjectMeta { Name = "ev-new" },
            EventTime = new DateTime(2026, 11, 22, 10, 0, 0, DateTimeKind.Utc),
            ReportingController = "navarch/test",
            ReportingInstance = "test-1",
            Action = "Testing",
            Reason = "Converted",
            Regarding = regarding,
            Note = "written as events.k8s.io/v1",
            Type = "Normal",
        }, "default");
        Corev1Event core = await fixture.Client.CoreV1.ReadNamespacedEventAsync("ev-new", "default");
        Assert.Equal("written as events.k8s.io/v1", core.Message);
        Assert.Equal("web-0", core.InvolvedObject.Name);
        Assert.Equal("navarch/test", core.ReportingComponent);

        await fixture.Client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = "ev-old" },
            InvolvedObject = regarding,
            Reason = "Legacy",
            Message = "written as core/v1",
            Count = 3,
            Type = "Warning",
        }, "default");
        Eventsv1Event modern = await fixture.Client.EventsV1.ReadNamespacedEventAsync("ev-old", "default");
        Assert.Equal("written as core/v1", modern.Note);
        Assert.Equal(3, modern.DeprecatedCount);
        Assert.Equal("Pod", modern.Regarding.Kind);
        Assert.Contains((await fixture.Client.EventsV1.ListNamespacedEventAsync("default")).Items, e => e.Metadata.Name == "ev-new");
    }

    [Fact]
    public async Task An_autoscaling_v1_hpa_is_stored_as_v2_with_a_cpu_resource_metric()
    {
        await fixture.Client.AutoscalingV1.CreateNamespacedHorizontalPodAutoscalerAsync(new V1HorizontalPodAutoscaler
        {
            Metadata = new V1ObjectMeta { Name = "web" },
            Spec = new V1HorizontalPodAutoscalerSpec
            {
                ScaleTargetRef = new V1CrossVersionObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = "web" },
                MinReplicas = 2,
                MaxReplicas = 10,
                TargetCPUUtilizationPercentage = 75,
            },
        }, "default");
        V2HorizontalPodAutoscaler v2 = await fixture.Client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("web", "default");
        V2MetricSpec metric = Assert.Single(v2.Spec.Metrics);
        Assert.Equal("cpu", metric.Resource.Name);
        Assert.Equal(75, metric.Resource.Target.AverageUtilization);
        Assert.Equal(10, v2.Spec.MaxReplicas);
        V1HorizontalPodAutoscaler v1 = await fixture.Client.AutoscalingV1.ReadNamespacedHorizontalPodAutoscalerAsync("web", "default");
        Assert.Equal(75, v1.Spec.TargetCPUUtilizationPercentage);
        Assert.Equal(v2.Metadata.ResourceVersion, v1.Metadata.ResourceVersion);
    }
}
