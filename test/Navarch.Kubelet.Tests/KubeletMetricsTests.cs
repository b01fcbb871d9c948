using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Navarch.ApiServer.Pki;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// The kubelet's Prometheus endpoints on its port, scraped as the API server's kubelet client: <c>/metrics</c> (running
/// pods and containers, pod start SLI, pod worker durations) and <c>/metrics/probes</c> (probe runs by result), with
/// Kubernetes' names and labels, values that follow a real pod with a readiness probe, and no scrape without a client
/// certificate.
/// </summary>
public sealed class KubeletMetricsTests(ITestOutputHelper output)
{
    [Trait("Category", "Node")]
    [Fact]
    public async Task Metrics_and_probe_metrics_follow_a_pod_with_a_readiness_probe()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        ClusterPki pki = node.Api.Server.Pki;
        using HttpClient kubelet = KubeletServerTests.Client(node.Options.KubeletPort, pki.KubeletClient, pki);
        using HttpClient anonymous = KubeletServerTests.Client(node.Options.KubeletPort, null, pki);
        foreach (string path in new[] { "/metrics", "/metrics/probes" })
        {
            using HttpResponseMessage refused = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        V1Pod created = await node.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "probed", NamespaceProperty = "default" },
            Spec = new V1PodSpec
            {
                NodeName = node.Options.NodeName,
                TerminationGracePeriodSeconds = 0,
                Containers =
                [
                    new V1Container
                    {
                        Name = "main",
                        Image = "busybox:1.35",
                        Command = ["sleep", "3600"],
                        ReadinessProbe = new V1Probe { Exec = new V1ExecAction { Command = ["true"] }, PeriodSeconds = 1 },
                    },
                ],
            },
        }, "default");
        string uid = created.Metadata.Uid;
        await KubeletNode.WaitAsync(async () => (await node.Client.CoreV1.ReadNamespacedPodAsync("probed", "default")).Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready" && c.Status == "True"), "pod ready");

        using (HttpResponseMessage response = await kubelet.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
            string text = await response.Content.ReadAsStringAsync();
            output.WriteLine(text);
            Assert.Contains("# TYPE kubelet_running_pods gauge", text, StringComparison.Ordinal);
            Assert.Equal(1, Value(text, "kubelet_running_pods"));
            Assert.Equal(1, Value(text, "kubelet_running_containers{container_state=\"running\"}"));
            Assert.Equal(0, Value(text, "kubelet_running_containers{container_state=\"exited\"}"));
            Assert.Contains("# TYPE kubelet_pod_start_sli_duration_seconds histogram", text, StringComparison.Ordinal);
            Assert.Contains("kubelet_pod_start_sli_duration_seconds_bucket{first_with_network=\"true\",le=\"0.5\"}", text, StringComparison.Ordinal);
            Assert.Contains("kubelet_pod_start_sli_duration_seconds_bucket{first_with_network=\"true\",le=\"3600\"} 1", text, StringComparison.Ordinal);
            Assert.Equal(1, Value(text, "kubelet_pod_start_sli_duration_seconds_count{first_with_network=\"true\"}"));
            Assert.Equal(1, Value(text, "kubelet_pod_worker_duration_seconds_count{operation_type=\"create\"}"));
            Assert.Contains("kubelet_pod_worker_duration_seconds_bucket{operation_type=\"create\",le=\"0.005\"}", text, StringComparison.Ordinal);
        }

        string series = $"prober_probe_total{{probe_type=\"Readiness\",result=\"successful\",container=\"main\",pod=\"probed\",namespace=\"default\",pod_uid=\"{uid}\"}}";
        string probes = await kubelet.GetStringAsync("/metrics/probes");
        Assert.Contains("# TYPE prober_probe_total counter", probes, StringComparison.Ordinal);
        Assert.DoesNotContain("kubelet_running_pods", probes, StringComparison.Ordinal);
        double first = Value(probes, series);
        Assert.True(first > 0, probes);
        // One probe a second: the counter moves.
        await KubeletNode.WaitAsync(async () => Value(await kubelet.GetStringAsync("/metrics/probes"), series) > first ? "more" : null, "more probe runs");

        await node.Client.CoreV1.DeleteNamespacedPodAsync("probed", "default");
        await KubeletNode.WaitAsync(async () => (await node.Client.CoreV1.ListNamespacedPodAsync("default")).Items.Count == 0 ? "gone" : null, "pod deleted");
        // The sandbox is stopped at teardown (the runtime may say so a moment after the API object is gone), and the
        // terminating sync is counted as a kill once it returns, which may be a moment after that.
        await KubeletNode.WaitAsync(
            async () => await kubelet.GetStringAsync("/metrics") is var text && Value(text, "kubelet_running_pods") == 0
                && text.Contains("kubelet_pod_worker_duration_seconds_count{operation_type=\"kill\"} ", StringComparison.Ordinal) ? text : null,
            "no running pods and a kill sync counted");
        Assert.DoesNotContain(uid, await kubelet.GetStringAsync("/metrics/probes"), StringComparison.Ordinal);
    }

    /// <summary>The value of the sample <paramref name="series"/> (name with its labels as exposed) in <paramref name="text"/>.</summary>
    private static double Value(string text, string series)
    {
        Match match = Regex.Match(text, "^" + Regex.Escape(series) + " (\\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"no {series} in\n{text}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
