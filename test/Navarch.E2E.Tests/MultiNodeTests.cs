using System.Diagnostics;
using System.Net.Http;

namespace Navarch.E2E.Tests;

/// <summary>
/// Service networking across nodes, on the network-namespace cluster: pods on different nodes reach each other by IP,
/// a Service's DNS name reaches the replicas on every node, a NodePort answers on every node's address, a headless
/// Service resolves to its pods, and sessionAffinity keeps a client on one pod. And the autoscaling loop with its
/// replicas on both nodes.
/// </summary>
[Trait("Category", "MultiNode")]
[Collection(MultiNodeCollection.Name)]
public sealed class MultiNodeTests(NetnsCluster cluster)
{
    // One replica per node (required anti-affinity), behind a NodePort Service, a headless one and a sticky one.
    private static readonly string Web = Workloads.HelloWeb(serviceType: "NodePort", podSpec: """
              affinity:
                podAntiAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                  - topologyKey: kubernetes.io/hostname
                    labelSelector: {matchLabels: {app: web}}
        """) + """

        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web-headless}
        spec:
          clusterIP: None
          selector: {app: web}
          ports: [{name: http, port: 8080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web-sticky}
        spec:
          selector: {app: web}
          sessionAffinity: ClientIP
          ports: [{name: http, port: 80, targetPort: http}]
        """;

    private string Client(int node) => $"client-{node}";

    private string ClientPod(int node) => $$"""
        apiVersion: v1
        kind: Pod
        metadata: {name: {{Client(node)}}}
        spec:
          terminationGracePeriodSeconds: 1
          nodeName: {{cluster.Nodes[node]}}
          containers:
          - name: client
            image: busybox:1.35
            command: ["sleep", "3600"]
        """;

    private Task<string> Ok(params string[] args) => cluster.OkAsync(args);

    /// <summary>`wget -q -O - URL` in a client pod until it answers; the body.</summary>
    private async Task<string> GetAsync(int fromNode, string url)
    {
        Kubectl.Result? last = null;
        return (await Eventually(
            // (busybox-static's wget crashes with -T, so the timeout is busybox's own.)
            async () => last = await cluster.KubectlAsync("exec", Client(fromNode), "--", "timeout", "5", "wget", "-q", "-O", "-", url),
            r => r.ExitCode == 0,
            $"{url} answers from node {fromNode}",
            TimeSpan.FromSeconds(60),
            TimeSpan.FromMilliseconds(500),
            () => Task.FromResult($"last: {last?.Output}"))).Stdout.Trim();
    }

    [Fact]
    public Task The_HPA_scales_a_cpu_burning_deployment_across_both_nodes_and_back_down() =>
        AutoscalingScenario.RunAsync(cluster, "hpa-multinode", cluster.Nodes);

    [Fact]
    public async Task Pods_services_dns_and_node_ports_work_across_nodes()
    {
        Kubectl.Result applied = await Kubectl.RunAsync(cluster.Kubeconfig, ["apply", "-f", "-"], Web + "\n---\n" + ClientPod(0) + "\n---\n" + ClientPod(1));
        Assert.True(applied.ExitCode == 0, applied.Output);
        if ((await cluster.KubectlAsync("rollout", "status", "deployment/web", "--timeout=120s")).ExitCode != 0
            || (await cluster.KubectlAsync("wait", "--for=condition=Ready", $"pod/{Client(0)}", $"pod/{Client(1)}", "--timeout=120s")).ExitCode != 0)
        {
            Assert.Fail("web and the clients never became Ready:\n" + await cluster.DiagnosticsAsync());
        }

        // One replica per node (required anti-affinity), each with its own pod IP from its node's podCIDR.
        string[] rows = (await Ok("get", "pods", "-l", "app=web", "-o", "jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.status.podIP}{\"\\n\"}{end}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, rows.Length);
        var replicas = rows.Select(r => r.Split(' ')).ToDictionary(f => f[1], f => (Name: f[0], Ip: f[2]));
        Assert.Equal(cluster.Nodes.Order(StringComparer.Ordinal), replicas.Keys.Order(StringComparer.Ordinal));

        // Pod to pod by IP, to the replica on the same node and on the other node, from both nodes.
        for (int from = 0; from < 2; from++)
        {
            foreach ((string node, (string name, string ip)) in replicas)
            {
                Assert.Equal($"hello from {name}", await GetAsync(from, $"http://{ip}:8080/"));
            }
        }

        // The Service's DNS name reaches both replicas, from a pod on each node.
        for (int from = 0; from < 2; from++)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var clock = Stopwatch.StartNew();
            while (seen.Count < 2 && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                seen.Add(await GetAsync(from, "http://web.default.svc.cluster.local/"));
            }

            Assert.Equal(replicas.Values.Select(r => $"hello from {r.Name}").Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        }

        // The NodePort answers on every node's address (from the host, through the node's own proxy rules).
        string nodePort = (await Ok("get", "service", "web", "-o", "jsonpath={.spec.ports[0].nodePort}")).Trim();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (int node = 0; node < 2; node++)
        {
            string body = "";
            string url = $"http://{cluster.NodeIp(node)}:{nodePort}/";
            await EventuallyPasses(async () => body = await http.GetStringAsync(url), $"{url} answers", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500));
            Assert.StartsWith("hello from web-", body, StringComparison.Ordinal);
        }

        // A headless Service resolves to the ready pods' IPs.
        string lookup = await Ok("exec", Client(0), "--", "nslookup", "web-headless.default.svc.cluster.local");
        foreach ((string _, string ip) in replicas.Values)
        {
            Assert.Contains(ip, lookup, StringComparison.Ordinal);
        }

        // The SRV record of the named port.
        string srv = await Ok("exec", Client(1), "--", "nslookup", "-type=SRV", "_http._tcp.web.default.svc.cluster.local");
        // busybox prints "service = priority weight port target".
        Assert.Matches(@"service = \d+ \d+ 80 web\.default\.svc\.cluster\.local", srv);

        // sessionAffinity ClientIP: one client keeps reaching the same replica.
        string first = await GetAsync(1, "http://web-sticky/");
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(first, await GetAsync(1, "http://web-sticky/"));
        }

        // A deleted pod leaves the rotation: once it is gone, no request reaches it (its replacement may answer).
        string gone = replicas[cluster.Nodes[0]].Name;
        await Ok("delete", "pod", gone, "--wait=true", "--timeout=60s");
        for (int i = 0; i < 10; i++)
        {
            string answer = await GetAsync(1, "http://web.default.svc.cluster.local/");
            Assert.NotEqual($"hello from {gone}", answer);
        }

        // Each node's proxy reported its kernel settings, and the kubelet's later status updates kept that condition.
        foreach (string node in cluster.Nodes)
        {
            string conditions = await Ok("get", "node", node, "-o", "jsonpath={range .status.conditions[*]}{.type}={.status}/{.reason} {end}");
            Assert.Contains("NetworkUnavailable=False/KernelSettingsApplied", conditions, StringComparison.Ordinal);
            Assert.Contains("Ready=True/KubeletReady", conditions, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Pods_land_where_their_requests_fit_and_a_MostAllocated_profile_packs_them()
    {
        const string ns = "packing";
        await Ok("create", "namespace", ns);
        long allocatable = long.Parse((await Ok("get", "node", cluster.Nodes[0], "-o", "jsonpath={.status.allocatable.cpu}")).Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1000;
        string Pod(string name, string scheduler, long milliCpu) => $$$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: {{{name}}}, namespace: {{{ns}}}}
            spec:
              schedulerName: {{{scheduler}}}
              terminationGracePeriodSeconds: 1
              containers:
              - name: c
                image: busybox:1.35
                command: ["sleep", "3600"]
                resources: {requests: {cpu: {{{milliCpu}}}m}}
            """;
        async Task<string> NodeOfAsync(string pod) => await cluster.PollAsync($"{pod} scheduled", o => o.Length > 0, TimeSpan.FromSeconds(60), "-n", ns, "get", "pod", pod, "-o", "jsonpath={.spec.nodeName}");

        // The bin-packing profile puts small pods on the node already busiest: all three together.
        for (int i = 1; i <= 3; i++)
        {
            Kubectl.Result created = await Kubectl.RunAsync(cluster.Kubeconfig, ["apply", "-f", "-"], Pod($"small-{i}", "bin-packing", 100));
            Assert.True(created.ExitCode == 0, created.Output);
            await NodeOfAsync($"small-{i}");
        }

        string packed = await NodeOfAsync("small-1");
        Assert.Equal(packed, await NodeOfAsync("small-2"));
        Assert.Equal(packed, await NodeOfAsync("small-3"));

        // Three quarters of a node each: the first two fit (one per node), the third fits nowhere and says why.
        long big = allocatable * 3 / 4;
        foreach (string name in new[] { "big-1", "big-2" })
        {
            Kubectl.Result created = await Kubectl.RunAsync(cluster.Kubeconfig, ["apply", "-f", "-"], Pod(name, "default-scheduler", big));
            Assert.True(created.ExitCode == 0, created.Output);
            await NodeOfAsync(name);
        }

        Assert.NotEqual(await NodeOfAsync("big-1"), await NodeOfAsync("big-2"));
        Kubectl.Result third = await Kubectl.RunAsync(cluster.Kubeconfig, ["apply", "-f", "-"], Pod("big-3", "default-scheduler", big));
        Assert.True(third.ExitCode == 0, third.Output);
        await cluster.PollAsync("big-3 unschedulable", o => o.Contains("0/2 nodes are available: 2 Insufficient cpu.", StringComparison.Ordinal), TimeSpan.FromSeconds(60),
            "-n", ns, "get", "pod", "big-3", "-o", "jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].message}");
        Assert.Equal("", (await Ok("-n", ns, "get", "pod", "big-3", "-o", "jsonpath={.spec.nodeName}")).Trim());
        await Ok("delete", "namespace", ns, "--wait=false");
    }

    [Fact]
    public async Task An_agent_restart_adopts_its_containers_and_a_stopped_agents_pods_are_rescheduled()
    {
        const string ns = "healing";
        string second = cluster.Nodes[1];
        await Ok("create", "namespace", ns);
        string manifest = $$$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: steady, namespace: {{{ns}}}}
            spec:
              nodeName: {{{second}}}
              terminationGracePeriodSeconds: 1
              containers:
              - name: c
                image: busybox:1.35
                command: ["sleep", "3600"]
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: heal, namespace: {{{ns}}}}
            spec:
              replicas: 2
              selector: {matchLabels: {app: heal}}
              template:
                metadata: {labels: {app: heal}}
                spec:
                  terminationGracePeriodSeconds: 1
                  # Evicted 2 s after their node is lost rather than the default 300 s.
                  tolerations:
                  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
                  - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
                  affinity:
                    podAntiAffinity:
                      preferredDuringSchedulingIgnoredDuringExecution:
                      - weight: 100
                        podAffinityTerm:
                          topologyKey: kubernetes.io/hostname
                          labelSelector: {matchLabels: {app: heal}}
                  containers:
                  - name: c
                    image: busybox:1.35
                    command: ["sleep", "3600"]
            """;
        Kubectl.Result applied = await Kubectl.RunAsync(cluster.Kubeconfig, ["apply", "-f", "-"], manifest);
        Assert.True(applied.ExitCode == 0, applied.Output);
        Assert.True((await cluster.KubectlAsync("-n", ns, "rollout", "status", "deployment/heal", "--timeout=120s")).ExitCode == 0, "heal rolled out:\n" + await cluster.DiagnosticsAsync());
        Assert.True((await cluster.KubectlAsync("-n", ns, "wait", "--for=condition=Ready", "pod/steady", "--timeout=120s")).ExitCode == 0, "steady Ready:\n" + await cluster.DiagnosticsAsync());
        const string Container = "jsonpath={.status.containerStatuses[0].containerID} {.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].ready}";
        string before = (await Ok("-n", ns, "get", "pod", "steady", "-o", Container)).Trim();
        Assert.EndsWith(" 0 true", before, StringComparison.Ordinal);

        // An agent restart: the containers keep running under their shims, and the new kubelet adopts them
        // (same container, no restart) rather than starting them again.
        await cluster.StopAgentAsync(1);
        cluster.StartAgent(1);
        await cluster.WaitForReadyAsync(1);
        // A container restarted by the new kubelet is an absence with no event to await: a window of a few status periods.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(before, (await Ok("-n", ns, "get", "pod", "steady", "-o", Container)).Trim());

        // The deployment spread its replicas (preferred anti-affinity); one runs on the second node.
        const string Placement = "jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.metadata.deletionTimestamp}{\"\\n\"}{end}";
        string[] placed = (await Ok("-n", ns, "get", "pods", "-l", "app=heal", "-o", Placement)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string lost = Assert.Single(placed, r => r.Split(' ')[1] == second).Split(' ')[0];

        // The second agent stops for good: after the grace period its node goes Unknown, the pod is evicted once its
        // 2 s toleration ends, and the ReplicaSet's replacement runs on the first node.
        await cluster.StopAgentAsync(1);
        TimeSpan patience = NetnsCluster.NodeMonitorGracePeriod + TimeSpan.FromSeconds(60);
        await cluster.PollAsync($"node {second} not ready", o => o == "Unknown", patience, "get", "node", second, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}");
        const string Live = "jsonpath={range .items[*]}{.spec.nodeName}/{.status.phase}/{.metadata.deletionTimestamp} {end}";
        await cluster.PollAsync("both replicas running on the first node", o => o.Split(' ').Count(r => r == $"{cluster.Nodes[0]}/Running/") == 2, patience,
            "-n", ns, "get", "pods", "-l", "app=heal", "-o", Live);
        await cluster.PollAsync("heal available again", o => o == "2", patience, "-n", ns, "get", "deployment", "heal", "-o", "jsonpath={.status.availableReplicas}");
        Assert.Contains("node.kubernetes.io/unreachable", await Ok("get", "node", second, "-o", "jsonpath={.spec.taints[*].key}"), StringComparison.Ordinal);

        // Back again: the node is Ready, the evicted pod's container is stopped and the pod goes away, and the pod
        // that tolerated the outage is still the same container.
        cluster.StartAgent(1);
        await cluster.WaitForReadyAsync(1);
        Kubectl.Result gone = await cluster.KubectlAsync("-n", ns, "wait", "--for=delete", $"pod/{lost}", "--timeout=90s");
        Assert.True(gone.ExitCode == 0, $"the evicted pod {lost} was never removed: {gone.Output}\n{await cluster.DiagnosticsAsync()}");
        Assert.Equal(before, (await Ok("-n", ns, "get", "pod", "steady", "-o", Container)).Trim());
        await Ok("delete", "namespace", ns, "--wait=false");
    }
}
