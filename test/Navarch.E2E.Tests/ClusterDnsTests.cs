using System.Net;

namespace Navarch.E2E.Tests;

/// <summary>
/// The cluster DNS at its default place on a real node: on the pod bridge (port 53), published as kube-dns, never on
/// the node's InternalIP; a pod and the node itself resolve cluster names and forwarded names through the kube-dns
/// ClusterIP. (That outsiders get no answer is shown in Navarch.Dns.Tests' OutsideTheClusterTests.)
/// </summary>
[Trait("Category", "Node")]
public sealed class ClusterDnsTests(ClusterDnsNode node) : IClassFixture<ClusterDnsNode>
{
    private const string Kubernetes = "kubernetes.default.svc.cluster.local";

    [Fact]
    public async Task Pods_and_the_node_resolve_cluster_and_forwarded_names_through_the_cluster_ip_of_a_dns_on_the_pod_bridge()
    {
        await node.ApplyAsync("""
            apiVersion: v1
            kind: Pod
            metadata: {name: dns-client}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: client
                image: busybox:1.35
                command: ["sleep", "3600"]
            """);
        await node.OkAsync("wait", "--for=condition=Ready", "pod/dns-client", "--timeout=120s");
        string kubernetesIp = (await node.OkAsync("get", "service", "kubernetes", "-o", "jsonpath={.spec.clusterIP}")).Trim();
        string endpoint = (await node.OkAsync("-n", "kube-system", "get", "endpointslices", "-l", "kubernetes.io/service-name=kube-dns", "-o", "jsonpath={.items[0].endpoints[0].addresses[0]} {.items[0].endpoints[0].nodeName} {.items[0].ports[0].port}")).Trim();
        string internalIp = (await node.OkAsync("get", "node", node.NodeName, "-o", "jsonpath={.status.addresses[?(@.type==\"InternalIP\")].address}")).Trim();
        string podCidr = (await node.OkAsync("get", "node", node.NodeName, "-o", "jsonpath={.spec.podCIDR}")).Trim();

        // kube-dns's endpoint is the pod bridge's address (the pod CIDR's gateway), port 53, on this node.
        string[] published = endpoint.Split(' ');
        Assert.Equal([Gateway(podCidr), node.NodeName, "53"], published);
        Assert.NotEqual(internalIp, published[0]);

        // A pod, through the ClusterIP in its resolv.conf: a cluster name and a name only the upstream holds.
        string cluster = await InPodAsync(["nslookup", Kubernetes], kubernetesIp);
        string forwarded = await InPodAsync(["nslookup", UpstreamResolver.Name], UpstreamResolver.Address.ToString());
        Assert.Contains(kubernetesIp, cluster, StringComparison.Ordinal);
        Assert.Contains(UpstreamResolver.Address.ToString(), forwarded, StringComparison.Ordinal);

        // The node itself, through the same ClusterIP.
        Assert.Contains(kubernetesIp, await NodeLookup.RunAsync(Kubernetes, node.ClusterDns), StringComparison.Ordinal);
        Assert.Contains(UpstreamResolver.Address.ToString(), await NodeLookup.RunAsync(UpstreamResolver.Name, node.ClusterDns), StringComparison.Ordinal);
    }

    /// <summary>The pod CIDR's first address, the bridge's (the CNI bridge plugin's gateway).</summary>
    private static string Gateway(string podCidr)
    {
        byte[] bytes = IPNetwork.Parse(podCidr).BaseAddress.GetAddressBytes();
        bytes[^1]++;
        return new IPAddress(bytes).ToString();
    }

    /// <summary>Runs <paramref name="command"/> in the pod until its output holds <paramref name="expected"/> (the proxy follows kube-dns within seconds).</summary>
    private async Task<string> InPodAsync(string[] command, string expected)
    {
        Kubectl.Result? last = null;
        await Eventually(
            async () => (last = await node.KubectlAsync(["exec", "dns-client", "--", .. command])).ExitCode == 0 && last.Stdout.Contains(expected, StringComparison.Ordinal),
            $"`{string.Join(' ', command)}` in the pod answers {expected}",
            TimeSpan.FromSeconds(60),
            TimeSpan.FromMilliseconds(500),
            () => Task.FromResult($"last: {last?.Output}"));
        return last!.Stdout;
    }
}
