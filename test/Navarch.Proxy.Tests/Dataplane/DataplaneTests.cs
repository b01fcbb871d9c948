using System.Diagnostics;
using System.Net.Sockets;
using k8s;
using k8s.Models;

namespace Navarch.Proxy.Tests.Dataplane;

/// <summary>The proxy's rules in a real kernel: connections from the lab's node and pods to Services.</summary>
[Collection("dataplane")]
[Trait("Category", "Node")]
public sealed class DataplaneTests(DataplaneFixture f) : IClassFixture<DataplaneFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    private static V1ServicePort Tcp(int port, string? name = null) => new() { Name = name, Port = port, TargetPort = 8080, Protocol = "TCP" };

    private async Task<Dictionary<string, int>> SpreadAsync(string ns, string ip, int port, int connections)
    {
        var counts = new Dictionary<string, int>();
        for (int i = 0; i < connections; i++)
        {
            string pod = await f.Lab.TcpAsync(ns, ip, port, Timeout);
            counts[pod] = counts.GetValueOrDefault(pod) + 1;
        }

        return counts;
    }

    [Fact]
    public async Task ClusterIP_reaches_every_endpoint_and_a_removed_endpoint_leaves_the_rotation()
    {
        V1Service service = await f.CreateServiceAsync("spread", _ => { }, Tcp(80));
        await f.SetEndpointsAsync("spread", null, 8080, "TCP", "pod-a", "pod-b", "pod-c");
        string ip = service.Spec.ClusterIP;
        await f.EventuallyAsync(() => f.Lab.TcpAsync(f.Lab.Node, ip, 80, Timeout));

        Dictionary<string, int> counts = await SpreadAsync(f.Lab.Node, ip, 80, 90);
        Assert.Equal(["pod-a", "pod-b", "pod-c"], counts.Keys.Order());
        // Each should get about 30 of 90; fewer than 10 would mean the probabilities are wrong (p ≈ 1e-5 by chance).
        Assert.All(counts.Values, c => Assert.True(c >= 10, $"uneven spread: {string.Join(", ", counts)}"));

        await f.SetEndpointsAsync("spread", null, 8080, "TCP", "pod-a", "pod-b");
        await f.EventuallyAsync(async () => Assert.DoesNotContain("default/spread -> 10.42.0.13:8080", await f.SaveAsync()));
        counts = await SpreadAsync(f.Lab.Node, ip, 80, 60);
        Assert.Equal(["pod-a", "pod-b"], counts.Keys.Order());
    }

    [Fact]
    public async Task Syncs_are_timed_and_stamped_in_kube_proxys_metrics_on_its_metrics_port()
    {
        using var http = new HttpClient();
        string url = $"http://127.0.0.1:{f.Options.MetricsBindAddress!.Port}/metrics";
        double Sample(string text, string series) =>
            double.Parse(text.Split('\n').First(l => l.StartsWith(series + " ", StringComparison.Ordinal))[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);

        // The endpoint starts once the proxy has set the kernel up: run alone, this test may come before it.
        string before = "";
        await f.EventuallyAsync(async () => before = await http.GetStringAsync(url));
        Assert.Contains("# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram", before, StringComparison.Ordinal);
        double syncs = Sample(before, "kubeproxy_sync_proxy_rules_duration_seconds_count");
        await f.CreateServiceAsync("timed", _ => { }, Tcp(80));
        await f.EventuallyAsync(async () => Assert.True(Sample(await http.GetStringAsync(url), "kubeproxy_sync_proxy_rules_duration_seconds_count") > syncs));
        string after = await http.GetStringAsync(url);
        Assert.InRange(Sample(after, "kubeproxy_sync_proxy_rules_last_timestamp_seconds"), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());
        Assert.True(Sample(after, "kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"16.384\"}") >= 1);
    }

    [Fact]
    public async Task Session_affinity_ClientIP_keeps_a_client_on_one_endpoint()
    {
        V1Service service = await f.CreateServiceAsync("sticky", s =>
        {
            s.SessionAffinity = "ClientIP";
            s.SessionAffinityConfig = new V1SessionAffinityConfig { ClientIP = new V1ClientIPConfig { TimeoutSeconds = 300 } };
        }, Tcp(80));
        await f.SetEndpointsAsync("sticky", null, 8080, "TCP", "pod-a", "pod-b", "pod-c");
        string ip = service.Spec.ClusterIP;
        await f.EventuallyAsync(() => f.Lab.TcpAsync(f.Lab.Node, ip, 80, Timeout));
        Dictionary<string, int> counts = await SpreadAsync(f.Lab.Node, ip, 80, 30);
        Assert.Single(counts);
    }

    [Fact]
    public async Task A_service_with_no_endpoints_refuses_connections_at_once()
    {
        V1Service service = await f.CreateServiceAsync("empty", _ => { }, Tcp(80));
        string ip = service.Spec.ClusterIP;
        await f.EventuallyAsync(async () =>
        {
            var e = await Assert.ThrowsAsync<SocketException>(() => f.Lab.TcpAsync(f.Lab.Node, ip, 80, Timeout));
            Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        });
        var clock = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<SocketException>(() => f.Lab.TcpAsync(f.Lab.Node, ip, 80, TimeSpan.FromSeconds(5)));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"refusal took {clock.Elapsed}");

        // Its first endpoint turns the REJECT into a DNAT.
        await f.SetEndpointsAsync("empty", null, 8080, "TCP", "pod-b");
        await f.EventuallyAsync(async () => Assert.Equal("pod-b", await f.Lab.TcpAsync(f.Lab.Node, ip, 80, Timeout)));
    }

    [Fact]
    public async Task NodePort_answers_on_the_node_address_from_the_node_and_from_pods()
    {
        V1Service service = await f.CreateServiceAsync("np", s => s.Type = "NodePort", Tcp(80));
        await f.SetEndpointsAsync("np", null, 8080, "TCP", "pod-a");
        int nodePort = service.Spec.Ports[0].NodePort!.Value;
        Assert.InRange(nodePort, 30000, 32767);
        await f.EventuallyAsync(async () => Assert.Equal("pod-a", await f.Lab.TcpAsync(f.Lab.Node, f.Lab.NodeIp, nodePort, Timeout)));
        Assert.Equal("pod-a", await f.Lab.TcpAsync(f.Lab.Pods["pod-c"], f.Lab.NodeIp, nodePort, Timeout));
    }

    [Fact]
    public async Task Udp_services_answer_and_move_to_the_new_endpoint_when_the_old_one_goes()
    {
        V1Service service = await f.CreateServiceAsync("dns", _ => { }, new V1ServicePort { Name = "dns", Port = 53, TargetPort = 5353, Protocol = "UDP" });
        await f.SetEndpointsAsync("dns", "dns", 5353, "UDP", "pod-b");
        string ip = service.Spec.ClusterIP;
        await f.EventuallyAsync(async () => Assert.Equal("pod-b", await f.Lab.UdpAsync(f.Lab.Node, ip, 53, Timeout)));

        // The conntrack entry of the old endpoint is removed, so the same client flow reaches the new one.
        await f.SetEndpointsAsync("dns", "dns", 5353, "UDP", "pod-c");
        await f.EventuallyAsync(async () => Assert.Equal("pod-c", await f.Lab.UdpAsync(f.Lab.Node, ip, 53, Timeout)));
    }

    [Fact]
    public async Task A_pod_reaches_itself_and_others_through_its_service()
    {
        V1Service service = await f.CreateServiceAsync("hairpin", _ => { }, Tcp(80));
        await f.SetEndpointsAsync("hairpin", null, 8080, "TCP", "pod-a");
        string ip = service.Spec.ClusterIP;
        await f.EventuallyAsync(async () => Assert.Equal("pod-a", await f.Lab.TcpAsync(f.Lab.Pods["pod-b"], ip, 80, Timeout)));
        Assert.Equal("pod-a", await f.Lab.TcpAsync(f.Lab.Pods["pod-a"], ip, 80, Timeout));
    }

    [Fact]
    public async Task Load_balancer_ingress_IPs_are_served_on_the_service_port()
    {
        V1Service service = await f.CreateServiceAsync("lb", s => s.Type = "LoadBalancer", Tcp(8081));
        await f.SetEndpointsAsync("lb", null, 8080, "TCP", "pod-c");
        service.Status = new V1ServiceStatus { LoadBalancer = new V1LoadBalancerStatus { Ingress = [new V1LoadBalancerIngress { Ip = f.Lab.NodeIp }] } };
        await f.Client.CoreV1.ReplaceNamespacedServiceStatusAsync(service, "lb", "default");
        // Nothing listens on the node's 8081: an answer is the proxy's DNAT.
        await f.EventuallyAsync(async () => Assert.Equal("pod-c", await f.Lab.TcpAsync(f.Lab.Pods["pod-a"], f.Lab.NodeIp, 8081, Timeout)));
    }

    [Fact]
    public async Task Routes_to_other_nodes_pod_CIDRs_follow_the_nodes()
    {
        var node = new V1Node
        {
            Metadata = new V1ObjectMeta { Name = $"peer-{f.Lab.Id}" },
            Spec = new V1NodeSpec { PodCIDR = "10.42.7.0/24", PodCIDRs = ["10.42.7.0/24"] },
        };
        node = await f.Client.CoreV1.CreateNodeAsync(node);
        node.Status = new V1NodeStatus { Addresses = [new V1NodeAddress { Type = "InternalIP", Address = "10.42.0.70" }] };
        await f.Client.CoreV1.ReplaceNodeStatusAsync(node, node.Metadata.Name);
        await f.EventuallyAsync(async () =>
            Assert.Contains("10.42.7.0/24 via 10.42.0.70", (await f.Lab.ExecAsync(f.Lab.Node, "ip", "-4", "route", "show", "proto", "201")).Stdout));

        await f.Client.CoreV1.DeleteNodeAsync(node.Metadata.Name);
        await f.EventuallyAsync(async () =>
            Assert.DoesNotContain("10.42.7.0/24", (await f.Lab.ExecAsync(f.Lab.Node, "ip", "-4", "route", "show")).Stdout));
    }
}
