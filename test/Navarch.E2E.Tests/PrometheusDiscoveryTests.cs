using System.Diagnostics;
using System.Text.Json;
using Navarch.Testing;

namespace Navarch.E2E.Tests;

/// <summary>
/// A real Prometheus — Debian's 2.42, which has no Kubernetes discovery (scripts/test.sh installs it for the Node tier) —
/// started on loopback with the shipped <c>examples/prometheus/prometheus.yml</c> pointed at this node's server, with the
/// token of the ServiceAccount <c>examples/prometheus/rbac.yaml</c> makes and the cluster CA from
/// <c>kube-root-ca.crt</c>: through <c>http_sd_configs</c> it discovers the API server, the kubelet, the controller
/// manager, the scheduler, the cluster DNS and an annotated pod, and scrapes every one of them "up" (read from its own
/// <c>/api/v1/targets</c> and <c>/api/v1/query</c>). The Prometheus process is ended by its PID and its data dir removed.
/// </summary>
[Trait("Category", "Node")]
public sealed class PrometheusDiscoveryTests(NavarchNode node) : IClassFixture<NavarchNode>
{
    private const string Prometheus = "/usr/bin/prometheus";

    private static readonly string[] Jobs = ["kubernetes-apiservers", "kubernetes-nodes", "kube-controller-manager", "kube-scheduler", "coredns", "kubernetes-pods"];

    // A busybox httpd serving a Prometheus exposition at /metrics, asking to be scraped there.
    private const string Exporter = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: exporter
          namespace: default
          labels: {app: exporter}
          annotations: {prometheus.io/scrape: "true", prometheus.io/port: "8080"}
        spec:
          terminationGracePeriodSeconds: 0
          containers:
          - name: httpd
            image: busybox:1.35
            command: ["sh", "-c", "mkdir -p /www && printf '# TYPE demo_exporter_up gauge\\ndemo_exporter_up 1\\n' > /www/metrics && exec httpd -f -p 8080 -h /www"]
            ports: [{name: http, containerPort: 8080}]
        """;

    [Fact]
    public async Task Debian_prometheus_discovers_the_cluster_through_http_sd_and_scrapes_every_target_up()
    {
        Assert.True(File.Exists(Prometheus), "Debian's prometheus is not installed (scripts/test.sh --tier Node installs it)");
        string repo = CliTests.RepoRoot();
        await node.OkAsync("apply", "-f", Path.Combine(repo, "examples", "prometheus", "rbac.yaml"));
        await node.ApplyAsync(Exporter);
        string token = (await node.OkAsync("-n", "monitoring", "create", "token", "prometheus", "--duration=1h")).Trim();
        string ca = await node.PollAsync("the cluster CA published in monitoring", o => o.Contains("BEGIN CERTIFICATE", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "-n", "monitoring", "get", "configmap", "kube-root-ca.crt", "-o", "jsonpath={.data.ca\\.crt}");
        string server = (await node.OkAsync("config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}")).Trim();
        await node.PollAsync("the exporter running", o => o == "Running", TimeSpan.FromSeconds(60), "get", "pod", "exporter", "-o", "jsonpath={.status.phase}");

        DirectoryInfo dir = Directory.CreateTempSubdirectory("navarch-prometheus-");
        Process? prometheus = null;
        try
        {
            string credentials = dir.FullName + "/";
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "token"), token);
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "ca.crt"), ca + "\n");
            string config = (await File.ReadAllTextAsync(Path.Combine(repo, "examples", "prometheus", "prometheus.yml")))
                .Replace("https://127.0.0.1:6443", server, StringComparison.Ordinal)
                .Replace("/etc/prometheus/navarch/", credentials, StringComparison.Ordinal)
                .Replace("scrape_interval: 15s", "scrape_interval: 2s", StringComparison.Ordinal);
            string configFile = Path.Combine(dir.FullName, "prometheus.yml");
            await File.WriteAllTextAsync(configFile, config);

            int port = FreePort.Next();
            string log = Path.Combine(dir.FullName, "prometheus.log");
            prometheus = TestProcesses.StartLogged(Prometheus, [$"--config.file={configFile}", $"--storage.tsdb.path={Path.Combine(dir.FullName, "data")}", $"--web.listen-address=127.0.0.1:{port}"], log);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            Process started = prometheus;
            string Log() => TestProcesses.ReadFrom(log, 0);

            // Every job's targets discovered and scraped up.
            JsonElement[] targets = [];
            await Eventually(
                async () =>
                {
                    Assert.False(started.HasExited, "prometheus exited:\n" + Log());
                    targets = await ActiveTargetsAsync(http);
                    return Jobs.All(job => targets.Any(t => Job(t) == job)) && targets.All(t => t.GetProperty("health").GetString() == "up");
                },
                "every discovered target up",
                TimeSpan.FromSeconds(120),
                TimeSpan.FromSeconds(1),
                () => Task.FromResult(string.Join('\n', targets.Select(t => $"{Job(t)} {t.GetProperty("scrapeUrl").GetString()} {t.GetProperty("health").GetString()} {t.GetProperty("lastError").GetString()}")) + "\n" + Log()));

            // The kubelet target carries the node's name and labels (labelmap of __meta_kubernetes_node_label_*), the pod its namespace and name.
            JsonElement kubelet = targets.Single(t => Job(t) == "kubernetes-nodes");
            Assert.Equal(node.NodeName, kubelet.GetProperty("labels").GetProperty("instance").GetString());
            Assert.Equal(node.NodeName, kubelet.GetProperty("labels").GetProperty("kubernetes_io_hostname").GetString());
            Assert.Equal(node.NodeName, kubelet.GetProperty("discoveredLabels").GetProperty("__meta_kubernetes_node_name").GetString());
            JsonElement pod = targets.Single(t => Job(t) == "kubernetes-pods");
            Assert.Equal("default", pod.GetProperty("labels").GetProperty("namespace").GetString());
            Assert.Equal("exporter", pod.GetProperty("labels").GetProperty("pod").GetString());
            Assert.Equal("exporter", pod.GetProperty("labels").GetProperty("app").GetString());

            // What was scraped is queryable: up, and each component's own metrics.
            foreach (string job in Jobs)
            {
                Assert.Equal("1", await QueryOneAsync(http, $"up{{job=\"{job}\"}}"));
            }

            await Eventually(async () => await QueryOneAsync(http, "sum(apiserver_request_total{job=\"kubernetes-apiservers\"}) > 0") is not null, "apiserver_request_total scraped", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
            Assert.NotNull(await QueryOneAsync(http, "kubelet_running_pods{job=\"kubernetes-nodes\"} >= 1"));
            Assert.Equal("1", await QueryOneAsync(http, "demo_exporter_up{job=\"kubernetes-pods\",namespace=\"default\",pod=\"exporter\"}"));
            Assert.NotNull(await QueryOneAsync(http, "sum(workqueue_adds_total{job=\"kube-controller-manager\"})"));
            Assert.NotNull(await QueryOneAsync(http, "sum(scheduler_schedule_attempts_total{job=\"kube-scheduler\"})"));
        }
        finally
        {
            if (prometheus is not null)
            {
                // Ended by its PID, as it was started here.
                await TestProcesses.StopAsync(prometheus);
            }

            dir.Delete(recursive: true);
            await node.KubectlAsync("delete", "pod", "exporter", "--wait=false");
            await node.KubectlAsync("delete", "-f", Path.Combine(repo, "examples", "prometheus", "rbac.yaml"), "--wait=false");
        }
    }

    private static string? Job(JsonElement target) => target.GetProperty("labels").GetProperty("job").GetString();

    private static async Task<JsonElement[]> ActiveTargetsAsync(HttpClient http)
    {
        try
        {
            using JsonDocument answer = JsonDocument.Parse(await http.GetStringAsync("/api/v1/targets?state=active"));
            return [.. answer.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray().Select(t => t.Clone())];
        }
        catch (HttpRequestException)
        {
            return []; // not listening yet
        }
    }

    /// <summary>The value of the single sample <paramref name="query"/> answers, or null when it answers none.</summary>
    private static async Task<string?> QueryOneAsync(HttpClient http, string query)
    {
        using JsonDocument answer = JsonDocument.Parse(await http.GetStringAsync("/api/v1/query?query=" + Uri.EscapeDataString(query)));
        Assert.Equal("success", answer.RootElement.GetProperty("status").GetString());
        JsonElement result = answer.RootElement.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0 ? null : Assert.Single(result.EnumerateArray()).GetProperty("value")[1].GetString();
    }
}
