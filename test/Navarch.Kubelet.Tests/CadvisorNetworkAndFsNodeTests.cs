using System.Globalization;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Navarch.ApiServer.Pki;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// On a real kubelet with containerd, <c>/metrics/cadvisor</c> carries a running pod's network (on its pause
/// container, per interface, counted in the pod's network namespace) and its container's writable layer (usage on the
/// device it is on, and that filesystem's size) with cAdvisor's names and labels.
/// </summary>
[Trait("Category", "Node")]
public sealed class CadvisorNetworkAndFsNodeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_pods_network_and_its_containers_writable_layer_are_on_metrics_cadvisor()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        ClusterPki pki = node.Api.Server.Pki;
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "netfs", NamespaceProperty = "default" },
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
                        // 4 MiB written to the writable layer, and packets to the pod network's gateway (answered by the node).
                        Command = ["sh", "-c", "dd if=/dev/zero of=/fill bs=1048576 count=4 && sync; ping -c 3 -W 1 $(ip route | awk '/default/ {print $3}'); exec sleep 3600"],
                    },
                ],
            },
        };
        await node.Client.CoreV1.CreateNamespacedPodAsync(pod, "default");
        using HttpClient kubelet = KubeletServerTests.Client(node.Options.KubeletPort, pki.KubeletClient, pki);

        const string Sandbox = @"container="""",id=""/k8s\.io/(?<sandbox>[0-9a-f]{64})"",image=""[^""]*pause[^""]*"",interface=""eth0"",name=""\k<sandbox>"",namespace=""default"",pod=""netfs""";
        const string Main = @"container=""main"",device=""(?<device>[^""]+)"",id=""/k8s\.io/(?<id>[0-9a-f]{64})"",image=""[^""]+"",name=""\k<id>"",namespace=""default"",pod=""netfs""";
        string text = "";
        await KubeletNode.WaitAsync(
            async () =>
            {
                text = await kubelet.GetStringAsync("/metrics/cadvisor");
                return Value(text, "container_network_transmit_bytes_total", Sandbox) > 0
                    && Value(text, "container_network_receive_packets_total", Sandbox) > 0
                    && Value(text, "container_fs_usage_bytes", Main) >= 4 << 20
                    ? text
                    : null;
            },
            "the pod's network and writable layer on /metrics/cadvisor",
            90);

        foreach (string family in new[] { "receive_bytes", "receive_errors", "receive_packets_dropped", "transmit_packets", "transmit_errors", "transmit_packets_dropped" })
        {
            Assert.Matches($@"# TYPE container_network_{family}_total counter\n(?:container_network_{family}_total\{{.*\n)*container_network_{family}_total\{{{Sandbox}\}} [0-9]+\n", text);
        }

        // The layer's filesystem is bigger than what the layer holds, and both carry the same device.
        Match usage = Regex.Match(text, $@"\ncontainer_fs_usage_bytes\{{{Main}\}} (?<value>[0-9.e+]+) [0-9]{{13}}\n");
        Match limit = Regex.Match(text, $@"\ncontainer_fs_limit_bytes\{{{Main}\}} (?<value>[0-9.e+]+) [0-9]{{13}}\n");
        Assert.True(usage.Success && limit.Success, text);
        Assert.Equal(usage.Groups["device"].Value, limit.Groups["device"].Value);
        Assert.True(double.Parse(limit.Groups["value"].Value, CultureInfo.InvariantCulture) > double.Parse(usage.Groups["value"].Value, CultureInfo.InvariantCulture));
        Assert.Contains("\ncontainer_scrape_error 0\n", text, StringComparison.Ordinal);
    }

    /// <summary>The value of the one sample of <paramref name="family"/> whose labels match <paramref name="labels"/>; -1 when there is none.</summary>
    private static double Value(string text, string family, string labels) =>
        Regex.Match(text, $@"\n{family}\{{{labels}\}} (?<value>[0-9.e+]+)( [0-9]+)?\n") is { Success: true } match
            ? double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)
            : -1;
}
