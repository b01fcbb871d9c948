using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net.Dns;
using k8s;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.Dns.Tests;

/// <summary>
/// The cluster DNS is no open resolver: from outside the cluster there is no listener on the node's address, and the
/// pod bridge's listener, even when routed to, refuses without recursing; a pod on the bridge resolves both cluster
/// names and names the upstream holds; a node's address counts for as long as the Node exists.
/// </summary>
[Trait("Category", "Node")]
public sealed class OutsideTheClusterTests(DnsNodeLab lab) : IClassFixture<DnsNodeLab>
{
    private const string Kubernetes = "kubernetes.default.svc.cluster.local";
    private const string Www = "www.example.test";

    private IPEndPoint Listener => new(lab.Gateway, lab.Dns.Listen.Port);

    [Fact]
    public async Task Kube_dns_is_published_on_the_pod_bridge_not_on_the_nodes_address()
    {
        V1EndpointSlice slice = Assert.Single((await lab.Client.DiscoveryV1.ListNamespacedEndpointSliceAsync("kube-system", labelSelector: "kubernetes.io/service-name=kube-dns")).Items);

        Assert.Equal(lab.Gateway, lab.Dns.Listen.Address);
        Assert.Equal([lab.Gateway.ToString()], Assert.Single(slice.Endpoints).Addresses);
        Assert.Equal(lab.NodeName, slice.Endpoints[0].NodeName);
        Assert.All(slice.Ports, p => Assert.Equal(lab.Dns.Listen.Port, p.Port));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_pod_resolves_cluster_names_and_upstream_names(bool tcp)
    {
        DnsMessage cluster = await RawDnsClient.QueryAsync(Listener, Kubernetes, RecordType.A, tcp, from: lab.Pod);
        DnsMessage upstream = await RawDnsClient.QueryAsync(Listener, Www, RecordType.A, tcp, from: lab.Pod);
        // The node itself (here, this test's own namespace) too.
        DnsMessage fromNode = await RawDnsClient.QueryAsync(Listener, Www, RecordType.A, tcp);

        Assert.Equal(IPAddress.Parse("10.43.0.1"), Assert.IsType<ARecord>(Assert.Single(cluster.AnswerRecords)).Address);
        Assert.Equal(FakeUpstream.WwwAddress, Assert.IsType<ARecord>(Assert.Single(upstream.AnswerRecords)).Address);
        Assert.True(upstream.IsRecursionAllowed);
        Assert.Equal(FakeUpstream.WwwAddress, Assert.IsType<ARecord>(Assert.Single(fromNode.AnswerRecords)).Address);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Outside_the_cluster_finds_no_listener_on_the_nodes_address(bool tcp)
    {
        var nodeAddress = new IPEndPoint(lab.NodeIp, lab.Dns.Listen.Port);

        // UDP: ICMP port unreachable (a refused receive); TCP: a reset connect.
        SocketException refused = await Assert.ThrowsAsync<SocketException>(() => RawDnsClient.QueryAsync(nodeAddress, Www, RecordType.A, tcp, from: lab.Outside));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task Outside_the_cluster_is_refused_by_the_bridge_listener_without_recursion()
    {
        int before = lab.Upstream.Queries;

        DnsMessage upstream = await RawDnsClient.QueryAsync(Listener, "target.example.test", RecordType.A, from: lab.Outside);
        DnsMessage cluster = await RawDnsClient.QueryAsync(Listener, Kubernetes, RecordType.A, from: lab.Outside);
        DnsMessage any = await RawDnsClient.QueryAsync(Listener, "example.test", RecordType.Any, from: lab.Outside);

        foreach (DnsMessage answer in new[] { upstream, cluster, any })
        {
            Assert.Equal(ReturnCode.Refused, answer.ReturnCode);
            Assert.Empty(answer.AnswerRecords);
            Assert.False(answer.IsRecursionAllowed);
        }

        Assert.Equal(before, lab.Upstream.Queries);
    }

    [Fact]
    public async Task Outside_the_cluster_a_tcp_connection_is_closed_unanswered()
    {
        Exception closed = await Assert.ThrowsAnyAsync<Exception>(() => RawDnsClient.QueryAsync(Listener, Www, RecordType.A, tcp: true, from: lab.Outside));

        // Closed by the server (end of stream or a reset), not left to time out.
        Assert.True(closed is EndOfStreamException or IOException or SocketException, closed.ToString());
    }

    [Fact]
    public async Task A_nodes_address_is_answered_while_the_node_exists()
    {
        string name = $"{lab.NodeName}-peer";
        V1Node node = await lab.Client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = name } });
        node.Status = new V1NodeStatus { Addresses = [new V1NodeAddress { Type = "InternalIP", Address = lab.OutsideIp.ToString() }] };
        await lab.Client.CoreV1.ReplaceNodeStatusAsync(node, name);
        try
        {
            await Eventually(
                async () => (await RawDnsClient.QueryAsync(Listener, Www, RecordType.A, from: lab.Outside)).ReturnCode == ReturnCode.NoError,
                "a node's address is answered",
                interval: TimeSpan.FromMilliseconds(50));
        }
        finally
        {
            await lab.Client.CoreV1.DeleteNodeAsync(name);
        }

        await Eventually(
            async () => (await RawDnsClient.QueryAsync(Listener, Www, RecordType.A, from: lab.Outside)).ReturnCode == ReturnCode.Refused,
            "a deleted node's address is refused again",
            interval: TimeSpan.FromMilliseconds(50));
    }
}
