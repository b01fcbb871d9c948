using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.ApiServer.SecureServing;
using Navarch.Testing;

namespace Navarch.Scheduler.Tests.Metrics;

/// <summary>
/// kube-scheduler's metrics on its secure port, scraped over real HTTPS: attempts by result and profile, their
/// latency, the pending pods by queue; authentication (TokenReview) and authorization (SubjectAccessReview on the
/// path) delegated to a real API server with RBAC.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SchedulerMetricsTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _stop = new();

    private ApiServerHost _host = null!;

    private Task _scheduler = Task.CompletedTask;

    private SecureMetricsServer _port = null!;

    public async Task InitializeAsync()
    {
        _host = await ApiServerHost.StartAsync(authorizationMode: "RBAC");
        var scheduler = new KubeScheduler(_host.Client, NullLoggerFactory.Instance);
        _scheduler = scheduler.RunAsync(_stop.Token);
        _port = await SecureMetricsServer.StartAsync("kube-scheduler", IPAddress.Loopback, 0, _host.Client, scheduler.Metrics, NullLoggerFactory.Instance, _stop.Token);
    }

    public async Task DisposeAsync()
    {
        await _port.DisposeAsync();
        await _stop.CancelAsync();
        await _scheduler;
        await _host.DisposeAsync();
        _stop.Dispose();
    }

    private HttpClient Http(string? token)
    {
        X509Certificate2Raw expected = new(_port.Certificate.RawData);
        var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && expected.Matches(cert.RawData) })
        {
            BaseAddress = new Uri($"https://127.0.0.1:{_port.Port}"),
        };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    private async Task<string> TokenForAsync(string account)
    {
        await _host.Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = account } }, "default");
        return (await _host.Client.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec() }, account, "default")).Status.Token;
    }

    private static double? Sample(string text, string series) =>
        text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal)) is { } line
            ? double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture)
            : null;

    [Fact]
    public async Task Attempts_and_pending_pods_are_served_to_a_scraper_rbac_allows_and_refused_to_others()
    {
        V1Node node = await _host.Client.CoreV1.CreateNodeAsync(Fixtures.Node("n1", cpu: "1"));
        node.Status = Fixtures.Node("n1", cpu: "1").Status;
        await _host.Client.CoreV1.ReplaceNodeStatusAsync(node, "n1");
        await _host.Client.CoreV1.CreateNamespacedPodAsync(Fixtures.Pod("fits", cpu: "100m"), "default");
        await _host.Client.CoreV1.CreateNamespacedPodAsync(Fixtures.Pod("too-big", cpu: "8"), "default");

        string scraper = await TokenForAsync("scraper");
        string stranger = await TokenForAsync("stranger");
        await _host.Client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "scraper-monitoring" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "system:monitoring" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "scraper", NamespaceProperty = "default" }],
        });

        using HttpClient http = Http(scraper);
        string text = "";
        await Polling.EventuallyPasses(
            async () =>
            {
                using HttpResponseMessage response = await http.GetAsync("/metrics");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                text = await response.Content.ReadAsStringAsync();
                Assert.Equal(1, Sample(text, "scheduler_schedule_attempts_total{result=\"scheduled\",profile=\"default-scheduler\"}"));
                Assert.True(Sample(text, "scheduler_schedule_attempts_total{result=\"unschedulable\",profile=\"default-scheduler\"}") >= 1);
                Assert.Equal(1, Sample(text, "scheduler_pending_pods{queue=\"unschedulable\"}"));
            },
            "the scheduler's metrics show one pod scheduled and one unschedulable",
            TimeSpan.FromSeconds(20));
        Assert.Equal(0, Sample(text, "scheduler_pending_pods{queue=\"active\"}"));
        Assert.NotNull(Sample(text, "scheduler_pending_pods{queue=\"backoff\"}"));
        Assert.NotNull(Sample(text, "scheduler_pending_pods{queue=\"gated\"}"));
        Assert.Equal(1, Sample(text, "scheduler_scheduling_attempt_duration_seconds_count{result=\"scheduled\",profile=\"default-scheduler\"}"));
        Assert.NotNull(Sample(text, "scheduler_scheduling_attempt_duration_seconds_bucket{result=\"scheduled\",profile=\"default-scheduler\",le=\"0.001\"}"));
        Assert.NotNull(Sample(text, "scheduler_scheduling_attempt_duration_seconds_bucket{result=\"scheduled\",profile=\"default-scheduler\",le=\"16.384\"}"));

        // A token without a grant, no token at all, and a token the API server does not know.
        using (HttpClient refused = Http(stranger))
        using (HttpResponseMessage response = await refused.GetAsync("/metrics"))
        {
            Assert.True(HttpStatusCode.Forbidden == response.StatusCode, await response.Content.ReadAsStringAsync());
            Assert.Contains("cannot get path \\u0022/metrics\\u0022", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (HttpClient anonymous = Http(null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync("/metrics")).StatusCode);
            // The health endpoints are always allowed, as --authorization-always-allow-paths.
            Assert.Equal("ok", await anonymous.GetStringAsync("/healthz"));
        }

        using (HttpClient forged = Http("not-a-token"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync("/metrics")).StatusCode);
        }
    }

    /// <summary>Pins the component's self-signed certificate by its bytes.</summary>
    private sealed record X509Certificate2Raw(byte[] Raw)
    {
        public bool Matches(byte[] other) => Raw.AsSpan().SequenceEqual(other);
    }
}
