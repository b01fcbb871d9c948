using System.Net.Http.Headers;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Client.Informers;
using Navarch.Controllers.HorizontalPodAutoscaler;
using Navarch.Testing;

namespace Navarch.Controllers.Tests;

/// <summary>
/// The HPA controller against a real API server: it scales a Deployment through its <c>/scale</c> subresource, as
/// far as the legacy rate limit and maxReplicas allow, writes conditions, current metrics and Events, and scales back
/// down with a zero-second scale-down window. Pods are written directly (no kubelet); their usage comes from a
/// metrics source the test sets, the one boundary replaced here.
/// </summary>
[Trait("Category", "Integration")]
public sealed class HorizontalPodAutoscalerTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _stop = new();
    private readonly SettableMetrics _metrics = new();
    private ApiServerHost _host = null!;
    private ControllerContext _context = null!;
    private HorizontalPodAutoscalerController _controller = null!;
    private Task _running = Task.CompletedTask;

    private Kubernetes Client => _host.Client;

    public async Task InitializeAsync()
    {
        _host = await ApiServerHost.StartAsync();
        var informers = new SharedInformerFactory(_host.Client, NullLoggerFactory.Instance, TimeProvider.System);
        _context = new ControllerContext(_host.Client, informers, TimeProvider.System, NullLoggerFactory.Instance, new ControllerManagerOptions { HorizontalPodAutoscalerSyncPeriod = TimeSpan.FromMilliseconds(500) });
        _controller = new HorizontalPodAutoscalerController(_context, _metrics);
        informers.Start(_stop.Token);
        await informers.WaitForCacheSyncAsync(_stop.Token);
        _running = _controller.RunAsync(1, _stop.Token);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running;
        _controller.Dispose();
        await _context.DisposeAsync();
        await _host.DisposeAsync();
        _stop.Dispose();
    }

    [Fact]
    public async Task ScalesADeploymentUpWithinItsLimitsAndDownAgain()
    {
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web"), "default");
        await CreateReadyPodAsync("web-a", "web");
        _metrics.MilliCpu = 300;
        await Client.AutoscalingV2.CreateNamespacedHorizontalPodAutoscalerAsync(Hpa("web", behavior: null), "default");

        // 300m of 100m requested is 300 % of a 50 % target: 6 replicas, limited first to max(2 × 1, 4), then to maxReplicas.
        await Eventually(async () => (await Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default")).Spec.Replicas == 4, "the first rescale to 4");
        await Eventually(async () => (await Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default")).Spec.Replicas == 5, "the second rescale to maxReplicas");
        V2HorizontalPodAutoscaler hpa = null!;
        await Eventually(async () => (hpa = await Client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("web", "default")).Status?.CurrentReplicas == 5, "status with 5 current replicas");
        Assert.Equal(300, hpa.Status.CurrentMetrics.Single().Resource.Current.AverageUtilization);
        Assert.Equal("300m", hpa.Status.CurrentMetrics.Single().Resource.Current.AverageValue.ToString());
        Assert.Equal(("True", "ValidMetricFound", "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)"), Condition(hpa, "ScalingActive"));
        Assert.Equal(("True", "TooManyReplicas", "the desired replica count is more than the maximum replica count"), Condition(hpa, "ScalingLimited"));
        Assert.NotNull(hpa.Status.LastScaleTime);

        await Eventually(async () => (await Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=web,reason=SuccessfulRescale")).Items
            .Any(e => e.Message == "New size: 4; reason: cpu resource utilization (percentage of request) above target" && e.Source?.Component == "horizontal-pod-autoscaler"), "the SuccessfulRescale Event");

        // The v1 view of the same object, and the TARGETS column of kubectl get hpa.
        V1HorizontalPodAutoscaler v1 = await Client.AutoscalingV1.ReadNamespacedHorizontalPodAutoscalerAsync("web", "default");
        Assert.Equal(300, v1.Status.CurrentCPUUtilizationPercentage);
        Assert.Equal("cpu: 300%/50%", await TargetsAsync("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers"));

        // Idle: scaled down at once (no window), reason "All metrics below target".
        _metrics.MilliCpu = 10;
        // A patch, not a read and replace: the controller writes the status meanwhile (a replace would be a 409).
        await Client.AutoscalingV2.PatchNamespacedHorizontalPodAutoscalerAsync(
            new V1Patch("""{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":0}}}}""", V1Patch.PatchType.MergePatch), "web", "default");
        await Eventually(async () => (await Client.AppsV1.ReadNamespacedDeploymentAsync("web", "default")).Spec.Replicas == 1, "the scale down to 1");
        await Eventually(async () => (await Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=web,reason=SuccessfulRescale")).Items
            .Any(e => e.Message == "New size: 1; reason: All metrics below target"), "the scale-down Event");
    }

    [Fact]
    public async Task MissingMetricsAndTargetsAreReportedAsConditions()
    {
        await Client.AutoscalingV2.CreateNamespacedHorizontalPodAutoscalerAsync(Hpa("absent", behavior: null), "default");
        await Eventually(async () => Condition(await Client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("absent", "default")).Reason == "FailedGetScale", "AbleToScale False FailedGetScale");

        await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("quiet"), "default");
        await CreateReadyPodAsync("quiet-a", "quiet");
        _metrics.MilliCpu = null;
        await Client.AutoscalingV2.CreateNamespacedHorizontalPodAutoscalerAsync(Hpa("quiet", behavior: null), "default");
        V2HorizontalPodAutoscaler hpa = null!;
        await Eventually(async () => Condition(hpa = await Client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("quiet", "default"), "ScalingActive").Reason == "FailedGetResourceMetric", "ScalingActive False");
        Assert.Equal("False", Condition(hpa, "ScalingActive").Status);
        Assert.Equal(("True", "SucceededGetScale"), (Condition(hpa).Status, Condition(hpa).Reason));
        Assert.Equal(1, (await Client.AppsV1.ReadNamespacedDeploymentAsync("quiet", "default")).Spec.Replicas);
        Assert.Equal("cpu: <unknown>/50%", await TargetsAsync("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/quiet"));
    }

    [Fact]
    public async Task ScalesOnAPodsMetricFromACustomMetricsAdapterBehindTheAggregator()
    {
        await using MetricsAdapterServer adapter = await MetricsAdapterServer.StartAsync();
        await adapter.RegisterAsync(Client);
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("api"), "default");
        await CreateReadyPodAsync("api-a", "api");
        V2HorizontalPodAutoscaler spec = Hpa("api", new V2HorizontalPodAutoscalerBehavior { ScaleDown = new V2HPAScalingRules { StabilizationWindowSeconds = 0 } });
        spec.Spec.Metrics = [new V2MetricSpec { Type = "Pods", Pods = new V2PodsMetricSource { Metric = new V2MetricIdentifier { Name = "requests_per_second" }, Target = new V2MetricTarget { Type = "AverageValue", AverageValue = new ResourceQuantity("1") } } }];
        await Client.AutoscalingV2.CreateNamespacedHorizontalPodAutoscalerAsync(spec, "default");

        // The adapter has no such series yet: reported as Kubernetes reports a missing custom metric.
        V2HorizontalPodAutoscaler hpa = null!;
        await Eventually(async () => Condition(hpa = await Client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("api", "default"), "ScalingActive").Reason == "FailedGetPodsMetric", "ScalingActive False FailedGetPodsMetric");
        Assert.StartsWith("the HPA was unable to compute the replica count: unable to get metric requests_per_second: unable to fetch metrics from custom metrics API: ", Condition(hpa, "ScalingActive").Message, StringComparison.Ordinal);

        // 3 per pod against an average of 1: three replicas, read through the aggregator with the pods' selector.
        adapter.SetPodMetric("default", "api-a", "requests_per_second", "3");
        await Eventually(async () => (await Client.AppsV1.ReadNamespacedDeploymentAsync("api", "default")).Spec.Replicas == 3, "the scale up to 3 on the Pods metric");
        Assert.Contains(adapter.Requests, r => r == "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/requests_per_second?labelSelector=app%3Dapi");
        await Eventually(async () => (hpa = await Client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("api", "default")).Status?.CurrentReplicas == 3, "status with 3 current replicas");
        V2MetricStatus current = hpa.Status.CurrentMetrics.Single();
        Assert.Equal(("Pods", "requests_per_second", "3"), (current.Type, current.Pods.Metric.Name, current.Pods.Current.AverageValue.ToString()));
        Assert.Equal(("True", "ValidMetricFound", "the HPA was able to successfully calculate a replica count from pods metric requests_per_second"), Condition(hpa, "ScalingActive"));
        await Eventually(async () => (await Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=api,reason=SuccessfulRescale")).Items
            .Any(e => e.Message == "New size: 3; reason: pods metric requests_per_second above target"), "the SuccessfulRescale Event");

        // Half the target: back to one replica; kubectl prints the target as Kubernetes does.
        adapter.SetPodMetric("default", "api-a", "requests_per_second", "500m");
        await Eventually(async () => (await Client.AppsV1.ReadNamespacedDeploymentAsync("api", "default")).Spec.Replicas == 1, "the scale down to 1");
        await Eventually(async () => (await Client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("api", "default")).Status?.CurrentReplicas == 1, "status with 1 current replica");
        (int code, string output, string error) = await RealKubectl.RunAsync(_host.Server.AdminKubeconfigPath, "get", "hpa", "api", "-n", "default");
        Assert.True(code == 0, error);
        Assert.Matches(@"api\s+Deployment/api\s+500m/1\s+1\s+5\s+1\s", output);
    }

    [Fact]
    public async Task ScalesOnAnExternalMetricAndAnObjectMetricAndTheLargestProposalWins()
    {
        await using MetricsAdapterServer adapter = await MetricsAdapterServer.StartAsync();
        await adapter.RegisterAsync(Client);
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("worker"), "default");
        await CreateReadyPodAsync("worker-a", "worker");
        var queue = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["queue"] = "orders" } };
        adapter.SetExternalMetric("default", "queue_messages_ready", (new Dictionary<string, string> { ["queue"] = "orders" }, "30"), (new Dictionary<string, string> { ["queue"] = "audit" }, "1000"));
        adapter.SetObjectMetric("default", "deployments.apps", "worker", "inflight", "2");
        V2HorizontalPodAutoscaler spec = Hpa("worker", behavior: null);
        spec.Spec.Metrics =
        [
            new V2MetricSpec { Type = "External", External = new V2ExternalMetricSource { Metric = new V2MetricIdentifier { Name = "queue_messages_ready", Selector = queue }, Target = new V2MetricTarget { Type = "Value", Value = new ResourceQuantity("10") } } },
            new V2MetricSpec
            {
                Type = "Object",
                ObjectProperty = new V2ObjectMetricSource
                {
                    DescribedObject = new V2CrossVersionObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = "worker" },
                    Metric = new V2MetricIdentifier { Name = "inflight" },
                    Target = new V2MetricTarget { Type = "Value", Value = new ResourceQuantity("4") },
                },
            },
        ];
        await Client.AutoscalingV2.CreateNamespacedHorizontalPodAutoscalerAsync(spec, "default");

        // 30 ready messages of the orders queue (the audit queue's are not selected) against 10: three replicas; the
        // Deployment's 2 in flight against 4 would have one.
        await Eventually(async () => (await Client.AppsV1.ReadNamespacedDeploymentAsync("worker", "default")).Spec.Replicas == 3, "the scale up to 3 on the External metric");
        Assert.Contains(adapter.Requests, r => r == "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_messages_ready?labelSelector=queue%3Dorders");
        Assert.Contains(adapter.Requests, r => r == "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/deployments.apps/worker/inflight");
        V2HorizontalPodAutoscaler hpa = null!;
        await Eventually(async () => (hpa = await Client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("worker", "default")).Status?.CurrentReplicas == 3, "status with 3 current replicas");
        Assert.Equal(("External", "queue_messages_ready", "30"), (hpa.Status.CurrentMetrics[0].Type, hpa.Status.CurrentMetrics[0].External.Metric.Name, hpa.Status.CurrentMetrics[0].External.Current.Value.ToString()));
        Assert.Equal("orders", hpa.Status.CurrentMetrics[0].External.Metric.Selector.MatchLabels["queue"]);
        Assert.Equal(("Object", "Deployment", "worker", "2"), (hpa.Status.CurrentMetrics[1].Type, hpa.Status.CurrentMetrics[1].ObjectProperty.DescribedObject.Kind, hpa.Status.CurrentMetrics[1].ObjectProperty.DescribedObject.Name, hpa.Status.CurrentMetrics[1].ObjectProperty.Current.Value.ToString()));
        const string Name = "external metric queue_messages_ready(&LabelSelector{MatchLabels:map[string]string{queue: orders,},MatchExpressions:[]LabelSelectorRequirement{},})";
        Assert.Equal(("True", "ValidMetricFound", $"the HPA was able to successfully calculate a replica count from {Name}"), Condition(hpa, "ScalingActive"));
        await Eventually(async () => (await Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=worker,reason=SuccessfulRescale")).Items
            .Any(e => e.Message == $"New size: 3; reason: {Name} above target"), "the SuccessfulRescale Event");
        Assert.Equal("30/10, 2/4", await TargetsAsync("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/worker"));
        (int code, string output, string error) = await RealKubectl.RunAsync(_host.Server.AdminKubeconfigPath, "get", "hpa", "worker", "-n", "default");
        Assert.True(code == 0, error);
        Assert.Matches(@"worker\s+Deployment/worker\s+30/10, 2/4\s+1\s+5\s+3\s", output);

        // An external metric the adapter does not have fails only its own metric; the others still decide, and a
        // failed metric with the rest proposing no scale-down keeps the count.
        adapter.SetExternalMetric("default", "queue_messages_ready");
        await Eventually(async () => Condition(hpa = await Client.AutoscalingV2.ReadNamespacedHorizontalPodAutoscalerAsync("worker", "default"), "ScalingActive").Reason == "FailedGetExternalMetric", "ScalingActive False FailedGetExternalMetric");
        Assert.Equal("the HPA was unable to compute the replica count: unable to get external metric default/queue_messages_ready/&LabelSelector{MatchLabels:map[string]string{queue: orders,},MatchExpressions:[]LabelSelectorRequirement{},}: no metrics returned from external metrics API", Condition(hpa, "ScalingActive").Message);
        Assert.Equal(3, (await Client.AppsV1.ReadNamespacedDeploymentAsync("worker", "default")).Spec.Replicas);
    }

    private static (string Status, string Reason, string Message) Condition(V2HorizontalPodAutoscaler hpa, string type = "AbleToScale") =>
        hpa.Status?.Conditions?.FirstOrDefault(c => c.Type == type) is { } c ? (c.Status, c.Reason, c.Message) : ("", "", "");

    // The TARGETS cell of the first row of the server-side table kubectl get hpa prints.
    private async Task<string?> TargetsAsync(string path)
    {
        using HttpClient http = _host.NewHttp(withClientCertificate: true);
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse("application/json;as=Table;v=v1;g=meta.k8s.io"));
        using HttpResponseMessage response = await http.SendAsync(request);
        using var table = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return table.RootElement.GetProperty("rows")[0].GetProperty("cells")[2].GetString();
    }

    private async Task CreateReadyPodAsync(string name, string app)
    {
        V1Pod pod = await Client.CoreV1.CreateNamespacedPodAsync(
            new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = app } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox", Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m") } } }] },
            },
            "default");
        DateTime started = DateTime.UtcNow.AddMinutes(-10);
        pod.Status = new V1PodStatus { Phase = "Running", StartTime = started, Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = started }] };
        await Client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, name, "default");
    }

    private static V1Deployment Deployment(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeploymentSpec
        {
            Replicas = 1,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
            },
        },
    };

    private static V2HorizontalPodAutoscaler Hpa(string target, V2HorizontalPodAutoscalerBehavior? behavior) => new()
    {
        Metadata = new V1ObjectMeta { Name = target },
        Spec = new V2HorizontalPodAutoscalerSpec
        {
            ScaleTargetRef = new V2CrossVersionObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = target },
            MinReplicas = 1,
            MaxReplicas = 5,
            Behavior = behavior,
            Metrics = [new V2MetricSpec { Type = "Resource", Resource = new V2ResourceMetricSource { Name = "cpu", Target = new V2MetricTarget { Type = "Utilization", AverageUtilization = 50 } } }],
        },
    };

    /// <summary>Every pod the selector names uses <see cref="MilliCpu"/>; null answers as an absent metrics API does.</summary>
    private sealed class SettableMetrics : IResourceMetricsClient
    {
        public long? MilliCpu { get; set; }

        public Task<IReadOnlyDictionary<string, PodMetric>> GetPodMetricsAsync(string ns, string labelSelector, string resource, string? container, CancellationToken cancellationToken) =>
            MilliCpu is { } cpu
                ? Task.FromResult<IReadOnlyDictionary<string, PodMetric>>(new Dictionary<string, PodMetric> { [labelSelector.Replace("app=", "", StringComparison.Ordinal) + "-a"] = new(cpu, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(15)) })
                : throw new MetricsException("unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)");
    }
}
