namespace Navarch.E2E.Tests;

/// <summary>
/// The default <c>local-path</c> class across nodes, on the network-namespace cluster with the real kubectl: a
/// WaitForFirstConsumer claim is provisioned by the agent of the node the scheduler picked for its pod, and a pod held
/// to the other node by its selector waits with Kubernetes' reason; a StatefulSet spread over both nodes finds each
/// replica's own data after its pods are made anew; a volume's data, claim and PersistentVolume outlive a restart of its
/// node's agent and of the server.
/// </summary>
[Trait("Category", "MultiNode")]
[Collection(MultiNodeCollection.Name)]
public sealed class MultiNodeStorageTests(NetnsCluster cluster)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private const string Binding = "jsonpath={.status.phase} {.spec.volumeName} {.metadata.annotations.volume\\.kubernetes\\.io/selected-node}";

    private const string Volume = "jsonpath={.status.phase} {.spec.claimRef.name} {.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].key}={.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[*]}";

    /// <summary>A 16Mi claim of the default class and a pod that runs <paramref name="script"/> with it at /data.</summary>
    private static string ClaimAndPod(string ns, string claim, string pod, string script, string restartPolicy = "Always", string? nodeName = null) => $$$"""
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: {{{claim}}}, namespace: {{{ns}}}}
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 16Mi}}
        ---
        {{{Pod(ns, claim, pod, script, restartPolicy, nodeName)}}}
        """;

    private static string Pod(string ns, string claim, string pod, string script, string restartPolicy = "Always", string? nodeName = null)
    {
        string selector = nodeName is null ? "" : "nodeSelector: {kubernetes.io/hostname: " + nodeName + "}";
        return $$$"""
        apiVersion: v1
        kind: Pod
        metadata: {name: {{{pod}}}, namespace: {{{ns}}}}
        spec:
          restartPolicy: {{{restartPolicy}}}
          terminationGracePeriodSeconds: 1
          {{{selector}}}
          containers:
          - name: main
            image: busybox:1.35
            command: ["sh", "-c", "{{{script}}}"]
            volumeMounts: [{name: data, mountPath: /data}]
          volumes:
          - name: data
            persistentVolumeClaim: {claimName: {{{claim}}}}
        """;
    }

    [Fact]
    public async Task A_WaitForFirstConsumer_claim_is_provisioned_where_its_pod_lands_and_a_pod_held_elsewhere_waits()
    {
        const string ns = "placement";
        await cluster.OkAsync("create", "namespace", ns);
        await cluster.ApplyAsync(ClaimAndPod(ns, "data", "placed", "echo placed > /data/f && sleep 3600"));

        // The scheduler picked the node; the claim names it, and that node's agent made the volume there.
        string node = (await cluster.PollAsync("placed running", s => s.StartsWith("Running ", StringComparison.Ordinal), Timeout,
            "-n", ns, "get", "pod", "placed", "-o", "jsonpath={.status.phase} {.spec.nodeName}")).Split(' ')[1];
        int index = cluster.Nodes.ToList().IndexOf(node);
        Assert.True(index >= 0, node);
        string uid = (await cluster.OkAsync("-n", ns, "get", "pvc", "data", "-o", "jsonpath={.metadata.uid}")).Trim();
        string pv = "pvc-" + uid;
        Assert.Equal($"Bound {pv} {node}", (await cluster.OkAsync("-n", ns, "get", "pvc", "data", "-o", Binding)).Trim());
        Assert.Equal($"Bound data kubernetes.io/hostname={node}", (await cluster.OkAsync("get", "pv", pv, "-o", Volume)).Trim());
        string file = Path.Combine(cluster.AgentDir(index), "storage", pv, "f");
        await Eventually(() => File.Exists(file), "the pod's write in the volume on its node", Timeout);
        Assert.Equal("placed\n", await File.ReadAllTextAsync(file));
        Assert.False(File.Exists(Path.Combine(cluster.AgentDir(1 - index), "storage", pv + ".img")), "the volume is on one node only");

        // A second pod on the claim, held by its selector to the other node: no node suits both, and it says why.
        string other = cluster.Nodes[1 - index];
        await cluster.ApplyAsync(Pod(ns, "data", "elsewhere", "cat /data/f", nodeName: other));
        await cluster.PollAsync("elsewhere unschedulable", s => s.StartsWith("Unschedulable ", StringComparison.Ordinal) && s.Contains("0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had volume node affinity conflict.", StringComparison.Ordinal),
            Timeout, "-n", ns, "get", "pod", "elsewhere", "-o", "jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].reason} {.status.conditions[?(@.type==\"PodScheduled\")].message}");
        Assert.Equal("Pending ", await cluster.OkAsync("-n", ns, "get", "pod", "elsewhere", "-o", "jsonpath={.status.phase} {.spec.nodeName}"));

        await DeleteNamespaceAsync(ns);
        Assert.False(File.Exists(Path.Combine(cluster.AgentDir(index), "storage", pv + ".img")), "reclaim policy Delete removed the volume's image on its node");
    }

    [Fact]
    public async Task A_StatefulSet_spread_over_the_nodes_finds_each_replicas_data_after_its_pods_are_made_anew()
    {
        const string ns = "stateful";
        await cluster.OkAsync("create", "namespace", ns);
        await cluster.ApplyAsync($$$"""
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: db, namespace: {{{ns}}}}
            spec:
              replicas: 3
              serviceName: db
              podManagementPolicy: Parallel
              selector: {matchLabels: {app: db}}
              template:
                metadata: {labels: {app: db}}
                spec:
                  terminationGracePeriodSeconds: 1
                  topologySpreadConstraints:
                  - maxSkew: 1
                    topologyKey: kubernetes.io/hostname
                    whenUnsatisfiable: DoNotSchedule
                    labelSelector: {matchLabels: {app: db}}
                  containers:
                  - name: main
                    image: busybox:1.35
                    env:
                    - name: POD
                      valueFrom: {fieldRef: {fieldPath: metadata.name}}
                    command: ["sh", "-c", "[ -f /data/id ] || echo $POD > /data/id; echo boot >> /data/boots; sleep 3600"]
                    volumeMounts: [{name: data, mountPath: /data}]
              volumeClaimTemplates:
              - metadata: {name: data}
                spec:
                  accessModes: [ReadWriteOnce]
                  resources: {requests: {storage: 16Mi}}
            """);

        const string Pods = "jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.status.phase} {.metadata.uid}{\"\\n\"}{end}";
        async Task<Dictionary<string, (string Node, string Uid)>> RunningAsync(IReadOnlySet<string> notUids) =>
            (await cluster.PollAsync("three db pods running", s => s.Split('\n') is { Length: 3 } rows && rows.All(r => r.Split(' ') is [_, _, "Running", var uid] && !notUids.Contains(uid)), Timeout,
                "-n", ns, "get", "pods", "-l", "app=db", "-o", Pods))
            .Split('\n').Select(r => r.Split(' ')).ToDictionary(f => f[0], f => (f[1], f[3]), StringComparer.Ordinal);

        Dictionary<string, (string Node, string Uid)> first = await RunningAsync(new HashSet<string>());
        Assert.Equal(new[] { "db-0", "db-1", "db-2" }, first.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(2, first.Values.Select(p => p.Node).Distinct().Count());
        var volumes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string pod, (string node, _)) in first)
        {
            // Each replica's claim was provisioned on the node its first pod landed on.
            string claim = (await cluster.OkAsync("-n", ns, "get", "pvc", "data-" + pod, "-o", Binding)).Trim();
            Assert.Matches($"^Bound pvc-[0-9a-f-]{{36}} {node}$", claim);
            string pv = claim.Split(' ')[1];
            Assert.Equal($"Bound data-{pod} kubernetes.io/hostname={node}", (await cluster.OkAsync("get", "pv", pv, "-o", Volume)).Trim());
            volumes[pod] = pv;
            await cluster.PollAsync($"{pod}'s first boot", s => s == $"{pod} 1", Timeout, "-n", ns, "exec", pod, "--", "sh", "-c", "echo $(cat /data/id) $(wc -l < /data/boots)");
        }

        // Every pod goes at once; the set makes them anew, each on the node its volume is on, each finding its own data.
        await cluster.OkAsync("-n", ns, "delete", "pods", "-l", "app=db", "--timeout=60s");
        Dictionary<string, (string Node, string Uid)> again = await RunningAsync(first.Values.Select(p => p.Uid).ToHashSet(StringComparer.Ordinal));
        foreach ((string pod, (string node, _)) in again)
        {
            Assert.Equal(first[pod].Node, node);
            Assert.Equal(volumes[pod], (await cluster.OkAsync("-n", ns, "get", "pvc", "data-" + pod, "-o", "jsonpath={.spec.volumeName}")).Trim());
            await cluster.PollAsync($"{pod}'s second boot on its own data", s => s == $"{pod} 2", Timeout, "-n", ns, "exec", pod, "--", "sh", "-c", "echo $(cat /data/id) $(wc -l < /data/boots)");
        }

        await DeleteNamespaceAsync(ns);
    }

    [Fact]
    public async Task A_volumes_data_claim_and_PersistentVolume_outlive_a_restart_of_its_agent_and_of_the_server()
    {
        const string ns = "restarts";
        await cluster.OkAsync("create", "namespace", ns);
        await cluster.ApplyAsync(ClaimAndPod(ns, "kept", "writer", "cat /proc/sys/kernel/random/uuid | tee /data/token", restartPolicy: "Never"));
        string node = (await cluster.PollAsync("the writer done", s => s.StartsWith("Succeeded ", StringComparison.Ordinal), Timeout,
            "-n", ns, "get", "pod", "writer", "-o", "jsonpath={.status.phase} {.spec.nodeName}")).Split(' ')[1];
        int index = cluster.Nodes.ToList().IndexOf(node);
        string token = (await cluster.OkAsync("-n", ns, "logs", "writer")).Trim();
        Assert.Matches("^[0-9a-f-]{36}$", token);
        string pv = (await cluster.OkAsync("-n", ns, "get", "pvc", "kept", "-o", "jsonpath={.spec.volumeName}")).Trim();
        string bound = $"Bound {pv} {node} Bound kept kubernetes.io/hostname={node}";
        async Task<string> BindingAsync() =>
            (await cluster.OkAsync("-n", ns, "get", "pvc", "kept", "-o", Binding)).Trim() + " " + (await cluster.OkAsync("get", "pv", pv, "-o", Volume)).Trim();
        Assert.Equal(bound, await BindingAsync());

        // The volume's node loses its agent for a while: nothing about the claim changes, before or after it is back.
        await cluster.StopAgentAsync(index);
        Assert.Equal(bound, await BindingAsync());
        cluster.StartAgent(index);
        await cluster.WaitForReadyAsync(index);
        Assert.Equal(bound, await BindingAsync());

        // Then the server: the claim and volume come back from the store as they were, and both nodes rejoin.
        await cluster.StopServerAsync(0);
        await cluster.StartServerAsync(0);
        await cluster.WaitForReadyAsync(0);
        await cluster.WaitForReadyAsync(1);
        Assert.Equal(bound, await BindingAsync());

        // A new pod on the claim goes to the volume's node and reads what the first one wrote.
        await cluster.ApplyAsync(Pod(ns, "kept", "reader", "cat /data/token", restartPolicy: "Never"));
        await cluster.PollAsync("the reader done on the volume's node", s => s == "Succeeded " + node, Timeout, "-n", ns, "get", "pod", "reader", "-o", "jsonpath={.status.phase} {.spec.nodeName}");
        Assert.Equal(token, (await cluster.OkAsync("-n", ns, "logs", "reader")).Trim());
        Assert.Equal(bound, await BindingAsync());

        await DeleteNamespaceAsync(ns);
    }

    /// <summary>Deletes the namespace and waits until its claims' volumes are gone too (reclaim policy Delete).</summary>
    private async Task DeleteNamespaceAsync(string ns)
    {
        await cluster.OkAsync("delete", "namespace", ns, "--timeout=120s");
        await cluster.PollAsync($"the volumes of {ns} deleted", s => s.Length == 0, Timeout, "get", "pv", "-o", $"jsonpath={{range .items[?(@.spec.claimRef.namespace==\"{ns}\")]}}{{.metadata.name}} {{end}}");
    }
}
