using System.Diagnostics;
using Xunit.Abstractions;

namespace Navarch.E2E.Tests;

/// <summary>
/// NetworkPolicies across the network-namespace cluster, measured with real traffic between real pods: busybox httpd
/// on the second node answering wget (TCP) from pods on both nodes, a UDP responder in the server pod answering
/// busybox nslookup (UDP), and the cluster DNS through its Service. Each change is watched until it takes effect.
/// </summary>
[Trait("Category", "MultiNode")]
public sealed class NetworkPolicyTests(NetnsCluster cluster, ITestOutputHelper output) : IClassFixture<NetnsCluster>
{
    private const string Ns = "shop";
    private const int UdpPort = 5353;

    private string Pods => $$$"""
        apiVersion: v1
        kind: Namespace
        metadata: {name: {{{Ns}}}}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: visitors, labels: {team: visitors}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: server, namespace: {{{Ns}}}, labels: {app: server}}
        spec:
          terminationGracePeriodSeconds: 1
          nodeName: {{{cluster.Nodes[1]}}}
          containers:
          - name: httpd
            image: busybox:1.35
            command: ["sh", "-c", "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www"]
            ports: [{name: http, containerPort: 8080}]
        {{{Client(Ns, "friend", 0, "role: friend")}}}
        {{{Client(Ns, "stranger", 0, "role: stranger")}}}
        {{{Client(Ns, "neighbour", 1, "role: stranger")}}}
        {{{Client("visitors", "visitor", 0, "role: visitor")}}}
        """;

    private string Client(string ns, string name, int node, string labels) => $$$"""
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: {{{name}}}, namespace: {{{ns}}}, labels: {{{{labels}}}}}
        spec:
          terminationGracePeriodSeconds: 1
          nodeName: {{{cluster.Nodes[node]}}}
          containers: [{name: c, image: busybox:1.35, command: ["sleep", "3600"]}]
        """;

    private Task<string> Ok(params string[] args) => cluster.OkAsync(args);

    private static string Namespace(string pod) => pod == "visitor" ? "visitors" : Ns;

    /// <summary>One TCP connection (wget) from <paramref name="pod"/> to the server's httpd.</summary>
    private Task<bool> TcpAsync(string pod, string serverIp) =>
        ProbeAsync(pod, null, "wget", "-q", "-O", "-", $"http://{serverIp}:8080/");

    /// <summary>One UDP exchange (nslookup) from <paramref name="pod"/> to the responder in the server pod.</summary>
    private Task<bool> UdpAsync(string pod, string serverIp) =>
        ProbeAsync(pod, "NXDOMAIN", "nslookup", "-type=a", "probe.test", $"{serverIp}:{UdpPort}");

    /// <summary>A lookup through the cluster DNS (UDP to the kube-dns ClusterIP).</summary>
    private Task<bool> DnsAsync(string pod) =>
        ProbeAsync(pod, null, "nslookup", "kubernetes.default.svc.cluster.local");

    /// <summary>
    /// Runs <paramref name="command"/> in <paramref name="pod"/>: true when it succeeds (and prints
    /// <paramref name="answered"/>, if given), false when refused — policies reject, so a denial is a refusal at once.
    /// Anything else (a timeout, a failed exec on a busy machine) is no answer either way and is tried again.
    /// </summary>
    private async Task<bool> ProbeAsync(string pod, string? answered, params string[] command)
    {
        Kubectl.Result last = new(0, "", "");
        for (int attempt = 0; attempt < 5; attempt++)
        {
            last = await cluster.KubectlAsync(["-n", Namespace(pod), "exec", pod, "--", "timeout", "3", .. command]);
            if (answered is null ? last.ExitCode == 0 : last.Output.Contains(answered, StringComparison.Ordinal))
            {
                return true;
            }

            if (last.Output.Contains("Connection refused", StringComparison.Ordinal))
            {
                return false;
            }
        }

        Assert.Fail($"{string.Join(' ', command)} in {pod} neither answered nor was refused: {last.Output}");
        return false;
    }

    /// <summary>Polls <paramref name="probe"/> until it gives <paramref name="expected"/>; returns how long after the change that was.</summary>
    private async Task<TimeSpan> UntilAsync(string what, Func<Task<bool?>> probe, bool expected)
    {
        var clock = Stopwatch.StartNew();
        while (await probe() != expected)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                Assert.Fail($"{what} never became {(expected ? "allowed" : "denied")}:\n{await cluster.DiagnosticsAsync()}");
            }

            await Task.Delay(50);
        }

        output.WriteLine($"{what}: {(expected ? "allowed" : "denied")} after {clock.Elapsed.TotalMilliseconds:F0} ms");
        return clock.Elapsed;
    }

    private async Task ApplyAsync(string yaml)
    {
        Kubectl.Result applied = await Kubectl.RunAsync(cluster.Kubeconfig, ["apply", "-f", "-"], yaml);
        Assert.True(applied.ExitCode == 0, applied.Output);
    }

    private static string Policy(string name, string spec) => $"""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {"{"}name: {name}, namespace: {Ns}{"}"}
        spec:
        {spec}
        """;

    [Fact]
    public async Task Policies_allow_and_deny_TCP_and_UDP_between_pods_on_two_nodes_promptly_after_each_change()
    {
        await ApplyAsync(Pods);
        Kubectl.Result ready = await cluster.KubectlAsync("wait", "--for=condition=Ready", "--timeout=120s", "-n", Ns, "pod/server", "pod/friend", "pod/stranger", "pod/neighbour");
        Kubectl.Result visitorReady = await cluster.KubectlAsync("wait", "--for=condition=Ready", "--timeout=120s", "-n", "visitors", "pod/visitor");
        Assert.True(ready.ExitCode == 0 && visitorReady.ExitCode == 0, ready.Output + visitorReady.Output + await cluster.DiagnosticsAsync());
        string serverIp = (await Ok("-n", Ns, "get", "pod", "server", "-o", "jsonpath={.status.podIP}")).Trim();
        string strangerIp = (await Ok("-n", Ns, "get", "pod", "stranger", "-o", "jsonpath={.status.podIP}")).Trim();
        string firstNodeCidr = (await Ok("get", "node", cluster.Nodes[0], "-o", "jsonpath={.spec.podCIDR}")).Trim();
        using PodUdpResponder udp = await PodUdpResponder.StartAsync(serverIp, UdpPort);
        string dnsIp = (await Ok("-n", "kube-system", "get", "service", "kube-dns", "-o", "jsonpath={.spec.clusterIP}")).Trim();
        PodProbe friend = await PodProbe.ForAsync((await Ok("-n", Ns, "get", "pod", "friend", "-o", "jsonpath={.status.podIP}")).Trim());
        PodProbe stranger = await PodProbe.ForAsync(strangerIp);
        PodProbe visitor = await PodProbe.ForAsync((await Ok("-n", "visitors", "get", "pod", "visitor", "-o", "jsonpath={.status.podIP}")).Trim());
        Func<Task<bool?>> Http(PodProbe from) => () => from.TcpAsync(serverIp, 8080);
        Func<Task<bool?>> ClusterDns(PodProbe from) => () => from.DnsAsync(dnsIp, 53, "kubernetes.default.svc.cluster.local");
        var changes = new List<TimeSpan>();

        // No policy: everyone reaches the server, across nodes and on its own node, over TCP and UDP.
        foreach (string pod in new[] { "friend", "stranger", "neighbour", "visitor" })
        {
            await UntilAsync($"{pod} -> server TCP", async () => await TcpAsync(pod, serverIp), true);
        }

        Assert.True(await UdpAsync("friend", serverIp));
        Assert.True(await DnsAsync("friend"));

        // Default deny for the namespace's ingress: nobody gets in, on either node, TCP or UDP.
        await ApplyAsync(Policy("deny-ingress", "  podSelector: {}\n  policyTypes: [Ingress]"));
        changes.Add(await UntilAsync("default deny: stranger -> server TCP", Http(stranger), false));
        Assert.False(await TcpAsync("friend", serverIp));
        Assert.False(await TcpAsync("neighbour", serverIp));
        Assert.False(await TcpAsync("visitor", serverIp));
        Assert.False(await UdpAsync("friend", serverIp));
        // Egress is not isolated: the server's pods still reach out, and the cluster DNS answers them.
        Assert.True(await DnsAsync("friend"));

        // Allow the friends (by pod label) on the named port http and on UDP.
        await ApplyAsync(Policy("friends", """
              podSelector: {matchLabels: {app: server}}
              ingress:
              - from: [{podSelector: {matchLabels: {role: friend}}}]
                ports: [{port: http}, {protocol: UDP, port: 5353}]
            """));
        changes.Add(await UntilAsync("friends: friend -> server TCP", Http(friend), true));
        Assert.True(await UdpAsync("friend", serverIp));
        Assert.False(await TcpAsync("stranger", serverIp));
        Assert.False(await TcpAsync("neighbour", serverIp));
        Assert.False(await UdpAsync("stranger", serverIp));

        // An ipBlock of the first node's pod network, less the stranger: the visitor (another namespace) gets in.
        await ApplyAsync(Policy("first-node", $$$"""
              podSelector: {matchLabels: {app: server}}
              ingress:
              - from: [{ipBlock: {cidr: {{{firstNodeCidr}}}, except: [{{{strangerIp}}}/32]}}]
            """));
        changes.Add(await UntilAsync("ipBlock: visitor -> server TCP", Http(visitor), true));
        Assert.True(await UdpAsync("visitor", serverIp));
        Assert.False(await TcpAsync("stranger", serverIp));
        Assert.False(await TcpAsync("neighbour", serverIp));

        // Instead by namespace: the visitors' namespace is let in on TCP only.
        await Ok("-n", Ns, "delete", "networkpolicy", "first-node");
        changes.Add(await UntilAsync("ipBlock removed: visitor -> server TCP", Http(visitor), false));
        await ApplyAsync(Policy("visitors", """
              podSelector: {matchLabels: {app: server}}
              ingress:
              - from: [{namespaceSelector: {matchLabels: {team: visitors}}}]
                ports: [{protocol: TCP, port: 8000, endPort: 8100}]
            """));
        changes.Add(await UntilAsync("namespace: visitor -> server TCP", Http(visitor), true));
        Assert.False(await UdpAsync("visitor", serverIp));
        Assert.False(await TcpAsync("stranger", serverIp));

        // Egress default deny for the friend: not even DNS, until DNS and the server are allowed.
        await ApplyAsync(Policy("friend-egress", "  podSelector: {matchLabels: {role: friend}}\n  policyTypes: [Egress]"));
        changes.Add(await UntilAsync("egress deny: friend DNS", ClusterDns(friend), false));
        Assert.False(await TcpAsync("friend", serverIp));
        Assert.False(await UdpAsync("friend", serverIp));
        Assert.True(await TcpAsync("visitor", serverIp));
        await ApplyAsync(Policy("friend-egress", """
              podSelector: {matchLabels: {role: friend}}
              policyTypes: [Egress]
              egress:
              # The cluster DNS listens on a port of the test's choosing here: its named ports say which.
              - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]
                ports: [{protocol: UDP, port: dns}, {protocol: TCP, port: dns-tcp}]
              - to: [{podSelector: {matchLabels: {app: server}}}]
                ports: [{protocol: TCP, port: 8080}]
            """));
        changes.Add(await UntilAsync("egress allow: friend DNS", ClusterDns(friend), true));
        Assert.True(await TcpAsync("friend", serverIp));
        Assert.False(await UdpAsync("friend", serverIp));

        // Every policy gone: everyone is back.
        await Ok("-n", Ns, "delete", "networkpolicy", "--all");
        changes.Add(await UntilAsync("no policy: stranger -> server TCP", Http(stranger), true));
        // The deletions reach the nodes one by one: the friend's egress policy may go last.
        await UntilAsync("no policy: friend -> server UDP", async () => await UdpAsync("friend", serverIp), true);

        // The timed probes are sockets in the pods' network namespaces (milliseconds each, 50 ms apart), so these are the
        // times from the change's acknowledgement to its effect on the nodes: at most ~0.3 s on an idle machine, up to
        // ~1.05 s seen while the rest of the suite loads both cores; the bound leaves room for that load.
        Assert.All(changes, t => Assert.True(t < TimeSpan.FromSeconds(2), $"a change took {t.TotalMilliseconds:F0} ms"));
        await Ok("delete", "namespace", Ns, "visitors", "--wait=false");
    }
}
