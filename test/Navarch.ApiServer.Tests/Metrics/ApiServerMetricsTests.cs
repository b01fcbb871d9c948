using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Metrics;

/// <summary>
/// kube-apiserver's /metrics scraped over real HTTPS from a real server: Kubernetes' names, labels and buckets, counters
/// that move with the requests served, and RBAC's nonResourceURLs deciding who may scrape.
/// </summary>
[Trait("Category", "Integration")]
public sealed partial class ApiServerMetricsTests : IAsyncLifetime
{
    private ApiServerHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiServerHost.StartAsync(authorizationMode: "RBAC");

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<string> ScrapeAsync()
    {
        using HttpClient http = _host.NewHttp(withClientCertificate: true);
        using HttpResponseMessage response = await http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The value of the sample <paramref name="series"/> (name and labels in Prometheus' order), or null.</summary>
    private static double? Sample(string text, string series)
    {
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    [Fact]
    public async Task Requests_store_calls_and_objects_are_counted_under_Kubernetes_names_and_labels()
    {
        const string created = "apiserver_request_total{verb=\"POST\",dry_run=\"\",group=\"\",version=\"v1\",resource=\"configmaps\",subresource=\"\",scope=\"namespace\",component=\"apiserver\",code=\"201\"}";
        const string notFound = "apiserver_request_total{verb=\"GET\",dry_run=\"\",group=\"\",version=\"v1\",resource=\"configmaps\",subresource=\"\",scope=\"namespace\",component=\"apiserver\",code=\"404\"}";
        const string deployments = "apiserver_request_total{verb=\"LIST\",dry_run=\"\",group=\"apps\",version=\"v1\",resource=\"deployments\",subresource=\"\",scope=\"cluster\",component=\"apiserver\",code=\"200\"}";
        string before = await ScrapeAsync();
        double createdBefore = Sample(before, created) ?? 0;

        await _host.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "counted" } }, "default");
        await _host.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "counted-too" } }, "default");
        await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => _host.Client.CoreV1.ReadNamespacedConfigMapAsync("absent", "default"));
        await _host.Client.AppsV1.ListDeploymentForAllNamespacesAsync();

        string after = await ScrapeAsync();
        Assert.Equal(createdBefore + 2, Sample(after, created));
        Assert.True(Sample(after, notFound) >= 1, notFound);
        Assert.True(Sample(after, deployments) >= 1, deployments);

        // The duration histogram has kube-apiserver's buckets, from 5 ms to 60 s.
        const string durationLabels = "verb=\"POST\",dry_run=\"\",group=\"\",version=\"v1\",resource=\"configmaps\",subresource=\"\",scope=\"namespace\",component=\"apiserver\"";
        Assert.Contains("# TYPE apiserver_request_duration_seconds histogram", after, StringComparison.Ordinal);
        Assert.NotNull(Sample(after, $"apiserver_request_duration_seconds_bucket{{{durationLabels},le=\"0.005\"}}"));
        Assert.NotNull(Sample(after, $"apiserver_request_duration_seconds_bucket{{{durationLabels},le=\"1.25\"}}"));
        Assert.Equal(Sample(after, created), Sample(after, $"apiserver_request_duration_seconds_bucket{{{durationLabels},le=\"60\"}}"));
        Assert.Equal(Sample(after, created), Sample(after, $"apiserver_request_duration_seconds_count{{{durationLabels}}}"));

        // The store's requests, by operation and group/resource; the stored objects per resource.
        Assert.True(Sample(after, "etcd_request_duration_seconds_count{operation=\"create\",type=\"configmaps\"}") >= 2);
        Assert.True(Sample(after, "etcd_request_duration_seconds_count{operation=\"get\",type=\"configmaps\"}") >= 1);
        Assert.NotNull(Sample(after, "etcd_request_duration_seconds_bucket{operation=\"create\",type=\"configmaps\",le=\"0.005\"}"));
        long configMaps = (await _host.Client.CoreV1.ListConfigMapForAllNamespacesAsync()).Items.Count;
        Assert.Equal(configMaps, Sample(await ScrapeAsync(), "apiserver_storage_objects{resource=\"configmaps\"}"));
        Assert.NotNull(Sample(after, "apiserver_storage_objects{resource=\"deployments.apps\"}"));
        Assert.NotNull(Sample(after, "apiserver_storage_objects{resource=\"clusterroles.rbac.authorization.k8s.io\"}"));

        // The scrape itself is a non-resource request, reported with its path; this one is still in flight.
        Assert.True(Sample(after, "apiserver_request_total{verb=\"GET\",dry_run=\"\",group=\"\",version=\"\",resource=\"\",subresource=\"/metrics\",scope=\"\",component=\"apiserver\",code=\"200\"}") >= 1);
        Assert.Equal(1, Sample(after, "apiserver_current_inflight_requests{request_kind=\"readOnly\"}"));
        Assert.Equal(0, Sample(after, "apiserver_current_inflight_requests{request_kind=\"mutating\"}"));
    }

    [Fact]
    public async Task An_open_watch_is_a_long_running_request_and_its_events_are_counted()
    {
        const string open = "apiserver_longrunning_requests{verb=\"WATCH\",group=\"\",version=\"v1\",resource=\"configmaps\",subresource=\"\",scope=\"namespace\",component=\"apiserver\"}";
        const string events = "apiserver_watch_events_total{group=\"\",version=\"v1\",resource=\"configmaps\"}";
        double eventsBefore = Sample(await ScrapeAsync(), events) ?? 0;

        using HttpClient http = _host.NewHttp(withClientCertificate: true);
        using HttpResponseMessage watch = await http.GetAsync("/api/v1/namespaces/default/configmaps?watch=true", HttpCompletionOption.ResponseHeadersRead);
        using var lines = new StreamReader(await watch.Content.ReadAsStreamAsync());
        await _host.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "watched" } }, "default");
        string? line;
        while ((line = await lines.ReadLineAsync()) is not null && !line.Contains("\"watched\"", StringComparison.Ordinal))
        {
        }

        string during = await ScrapeAsync();
        Assert.Equal(1, Sample(during, open));
        Assert.True(Sample(during, events) >= eventsBefore + 1, during);

        watch.Dispose();
        await Polling.EventuallyPasses(async () => Assert.Equal(0, Sample(await ScrapeAsync(), open)), "the closed watch is no longer open");
        // The finished watch is counted like any request, under WATCH.
        Assert.True(Sample(await ScrapeAsync(), "apiserver_request_total{verb=\"WATCH\",dry_run=\"\",group=\"\",version=\"v1\",resource=\"configmaps\",subresource=\"\",scope=\"namespace\",component=\"apiserver\",code=\"200\"}") >= 1);
    }

    [Fact]
    public async Task Only_identities_granted_get_on_metrics_may_scrape()
    {
        await _host.Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "scraper" } }, "default");
        string token = (await _host.Client.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec() }, "scraper", "default")).Status.Token;
        using HttpClient http = _host.NewHttp(withClientCertificate: false);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using (HttpResponseMessage refused = await http.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            string message = System.Text.Json.JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString()!;
            Assert.Equal("forbidden: User \"system:serviceaccount:default:scraper\" cannot get path \"/metrics\"", message);
        }

        // The bootstrap ClusterRole system:monitoring grants it, as in Kubernetes.
        V1ClusterRole monitoring = await _host.Client.RbacAuthorizationV1.ReadClusterRoleAsync("system:monitoring");
        Assert.Contains(monitoring.Rules, r => r.Verbs.Contains("get") && r.NonResourceURLs.Contains("/metrics"));
        await _host.Client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "scraper-monitoring" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "system:monitoring" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "scraper", NamespaceProperty = "default" }],
        });
        await Polling.EventuallyPasses(async () =>
        {
            using HttpResponseMessage allowed = await http.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            Assert.Contains("# TYPE apiserver_request_total counter", await allowed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }, "the bound scraper may read /metrics");

        // Refused requests are counted too, with their code.
        Assert.True(Sample(await ScrapeAsync(), "apiserver_request_total{verb=\"GET\",dry_run=\"\",group=\"\",version=\"\",resource=\"\",subresource=\"/metrics\",scope=\"\",component=\"apiserver\",code=\"403\"}") >= 1);
    }

    [Fact]
    public async Task Kubectl_get_raw_metrics_reads_the_exposition()
    {
        (int code, string output, string error) = await RealKubectl.RunAsync(_host.Server.AdminKubeconfigPath, "get", "--raw", "/metrics");
        Assert.True(code == 0, error);
        foreach (string family in new[] { "apiserver_request_total", "apiserver_request_duration_seconds", "apiserver_storage_objects", "etcd_request_duration_seconds", "apiserver_watch_events_total", "apiserver_current_inflight_requests", "apiserver_longrunning_requests" })
        {
            Assert.Matches(new Regex($"^# TYPE {family} (counter|gauge|histogram)$", RegexOptions.Multiline), output);
        }

        // kubectl's own request is reported by its verb and resource scope.
        (code, _, error) = await RealKubectl.RunAsync(_host.Server.AdminKubeconfigPath, "get", "namespaces");
        Assert.True(code == 0, error);
        Assert.True(Sample(await ScrapeAsync(), "apiserver_request_total{verb=\"LIST\",dry_run=\"\",group=\"\",version=\"v1\",resource=\"namespaces\",subresource=\"\",scope=\"cluster\",component=\"apiserver\",code=\"200\"}") >= 1);
    }
}
