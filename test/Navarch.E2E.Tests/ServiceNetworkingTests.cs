using System.Diagnostics;

namespace Navarch.E2E.Tests;

/// <summary>
/// Services end to end on `navarch server` with its own kubelet, proxy and cluster DNS: a pod reaches a Deployment
/// by the Service's DNS name and ClusterIP (iptables DNAT written by the proxy, the name answered by the cluster DNS
/// server the pod's resolv.conf points at), and a Service without ready endpoints refuses the connection.
/// </summary>
[Trait("Category", "Node")]
public sealed class ServiceNetworkingTests(NavarchNode node) : IClassFixture<NavarchNode>
{
    private static readonly string Web = Workloads.HelloWeb() + """

        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: client}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - name: client
            image: busybox:1.35
            command: ["sleep", "3600"]
        """;

    [Fact]
    public async Task A_pod_reaches_a_deployment_by_service_name_and_cluster_ip_and_an_empty_service_refuses()
    {
        Kubectl.Result applied = await Kubectl.RunAsync(node.Kubeconfig, ["apply", "-f", "-"], Web);
        Assert.True(applied.ExitCode == 0, applied.Output);
        Kubectl.Result rollout = await node.KubectlAsync("rollout", "status", "deployment/web", "--timeout=120s");
        Assert.True(rollout.ExitCode == 0, rollout.Output);
        Kubectl.Result client = await node.KubectlAsync("wait", "--for=condition=Ready", "pod/client", "--timeout=120s");
        Assert.True(client.ExitCode == 0, client.Output);
        string clusterIp = (await node.KubectlAsync("get", "service", "web", "-o", "jsonpath={.spec.clusterIP}")).Stdout.Trim();
        Assert.StartsWith(node.ClusterDns[..node.ClusterDns.LastIndexOf(".0.", StringComparison.Ordinal)], clusterIp, StringComparison.Ordinal);

        // The cluster DNS answers the Service's names with its ClusterIP, through the kube-dns ClusterIP in resolv.conf.
        string resolv = (await node.KubectlAsync("exec", "client", "--", "cat", "/etc/resolv.conf")).Stdout;
        Assert.Contains($"nameserver {node.ClusterDns}", resolv, StringComparison.Ordinal);
        Assert.Contains("search default.svc.cluster.local svc.cluster.local cluster.local", resolv, StringComparison.Ordinal);
        string lookup = await EventuallyAsync(["nslookup", "web.default.svc.cluster.local"], r => r.ExitCode == 0 && r.Stdout.Contains(clusterIp, StringComparison.Ordinal));
        Assert.Contains(clusterIp, lookup, StringComparison.Ordinal);

        // The node itself resolves through the kube-dns ClusterIP too (the proxy's OUTPUT rules, the node's own address answered).
        string fromNode = await NodeLookup.RunAsync("web.default.svc.cluster.local", node.ClusterDns);
        Assert.Contains(clusterIp, fromNode, StringComparison.Ordinal);

        // By short name (the search path) and by ClusterIP, both replicas answer over the proxy's random balancing.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string[] pods = (await node.KubectlAsync("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].metadata.name}")).Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, pods.Length);
        var clock = Stopwatch.StartNew();
        while (seen.Count < 2 && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            foreach (string target in new[] { "http://web/", $"http://{clusterIp}/" })
            {
                // (busybox-static's wget crashes with -T, so the timeout is busybox's own.)
                Kubectl.Result got = await node.KubectlAsync("exec", "client", "--", "timeout", "5", "wget", "-q", "-O", "-", target);
                if (got.ExitCode == 0)
                {
                    string body = got.Stdout.Trim();
                    Assert.StartsWith("hello from web-", body, StringComparison.Ordinal);
                    seen.Add(body["hello from ".Length..]);
                }
            }
        }

        Assert.Equal(pods.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));

        // No ready endpoints: the proxy rejects at once instead of letting the connection hang.
        Kubectl.Result scaled = await node.KubectlAsync("scale", "deployment/web", "--replicas=0");
        Assert.True(scaled.ExitCode == 0, scaled.Output);
        string refused = await EventuallyAsync(["sh", "-c", $"timeout 10 wget -q -O - http://{clusterIp}/ 2>&1; echo exit=$?"], r => r.Stdout.Contains("refused", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("exit=1", refused, StringComparison.Ordinal);
    }

    /// <summary>Runs <paramref name="command"/> in the client pod until <paramref name="done"/> holds (the proxy and DNS follow the API within seconds).</summary>
    private async Task<string> EventuallyAsync(string[] command, Func<Kubectl.Result, bool> done)
    {
        Kubectl.Result? last = null;
        return (await Eventually(
            async () => last = await node.KubectlAsync(["exec", "client", "--", .. command]),
            done,
            $"`{string.Join(' ', command)}` in the client pod gives what is expected",
            TimeSpan.FromSeconds(60),
            TimeSpan.FromMilliseconds(500),
            () => Task.FromResult($"last: {last?.Output}"))).Stdout;
    }
}
