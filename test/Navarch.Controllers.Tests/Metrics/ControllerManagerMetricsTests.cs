using System.Globalization;
using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer.SecureServing;
using Navarch.Testing;

namespace Navarch.Controllers.Tests.Metrics;

/// <summary>
/// kube-controller-manager's work queue metrics on its secure port, scraped over real HTTPS while the controllers
/// converge a real Deployment (the API server here allows every authenticated user, so a service account's token passes
/// the port's TokenReview and SubjectAccessReview).
/// </summary>
[Trait("Category", "Integration")]
public sealed class ControllerManagerMetricsTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _stop = new();

    private ApiServerHost _host = null!;

    private Task _manager = Task.CompletedTask;

    private SecureMetricsServer _port = null!;

    public async Task InitializeAsync()
    {
        _host = await ApiServerHost.StartAsync();
        var manager = new ControllerManager(_host.Client, NullLoggerFactory.Instance);
        _manager = manager.RunAsync(_stop.Token);
        _port = await SecureMetricsServer.StartAsync("kube-controller-manager", IPAddress.Loopback, 0, _host.Client, manager.Metrics, NullLoggerFactory.Instance, _stop.Token);
    }

    public async Task DisposeAsync()
    {
        await _port.DisposeAsync();
        await _stop.CancelAsync();
        await _manager;
        await _host.DisposeAsync();
        _stop.Dispose();
    }

    private static double? Sample(string text, string series) =>
        text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal)) is { } line
            ? double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture)
            : null;

    [Fact]
    public async Task Work_queues_report_adds_depth_and_durations_by_controller_name()
    {
        byte[] pinned = _port.Certificate.RawData;
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && cert.RawData.AsSpan().SequenceEqual(pinned) })
        {
            BaseAddress = new Uri($"https://127.0.0.1:{_port.Port}"),
        };
        await _host.Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "scraper" } }, "default");
        string token = (await _host.Client.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec() }, "scraper", "default")).Status.Token;
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        await _host.Client.AppsV1.CreateNamespacedDeploymentAsync(
            new V1Deployment
            {
                Metadata = new V1ObjectMeta { Name = "web" },
                Spec = new V1DeploymentSpec
                {
                    Replicas = 2,
                    Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
                    Template = new V1PodTemplateSpec
                    {
                        Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "web" } },
                        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
                    },
                },
            },
            "default");

        string text = "";
        await Polling.EventuallyPasses(
            async () =>
            {
                text = await http.GetStringAsync("/metrics");
                Assert.True(Sample(text, "workqueue_adds_total{name=\"deployment\"}") >= 1);
                Assert.True(Sample(text, "workqueue_adds_total{name=\"replicaset\"}") >= 1);
                Assert.True(Sample(text, "workqueue_work_duration_seconds_count{name=\"replicaset\"}") >= 1);
            },
            "the deployment and replicaset queues report their work",
            TimeSpan.FromSeconds(20));
        Assert.NotNull(Sample(text, "workqueue_depth{name=\"deployment\"}"));
        Assert.NotNull(Sample(text, "workqueue_retries_total{name=\"deployment\"}"));
        Assert.True(Sample(text, "workqueue_queue_duration_seconds_count{name=\"deployment\"}") >= 1);
        Assert.NotNull(Sample(text, "workqueue_queue_duration_seconds_bucket{name=\"deployment\",le=\"1E-08\"}") ?? Sample(text, "workqueue_queue_duration_seconds_bucket{name=\"deployment\",le=\"1e-08\"}"));
        Assert.Contains("# TYPE workqueue_work_duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.Equal("ok", await http.GetStringAsync("/healthz"));
    }
}
