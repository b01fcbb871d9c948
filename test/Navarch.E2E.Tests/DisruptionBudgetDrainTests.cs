namespace Navarch.E2E.Tests;

/// <summary>
/// <c>kubectl drain</c> honours a PodDisruptionBudget on the network-namespace cluster: with two replicas on the
/// drained node and a budget keeping one available, the second eviction is refused (429, Kubernetes' message, retried
/// by kubectl) until the first pod's replacement is running and ready on the other node; then the drain completes.
/// </summary>
[Trait("Category", "MultiNode")]
public sealed class DisruptionBudgetDrainTests(NetnsCluster cluster) : IClassFixture<NetnsCluster>
{
    private const string Ns = "drain";

    private static readonly string Workload = $$$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: guarded, namespace: {{{Ns}}}}
        spec:
          replicas: 2
          selector: {matchLabels: {app: guarded}}
          template:
            metadata: {labels: {app: guarded}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: c
                image: busybox:1.35
                command: ["sleep", "3600"]
                readinessProbe:
                  exec: {command: ["true"]}
                  initialDelaySeconds: 3
                  periodSeconds: 1
        ---
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: guarded, namespace: {{{Ns}}}}
        spec:
          minAvailable: 1
          selector: {matchLabels: {app: guarded}}
        """;

    private Task<string> Ok(params string[] args) => cluster.OkAsync(args);

    [Fact]
    public async Task Drain_waits_for_a_ready_replacement_before_evicting_the_last_pod_a_budget_protects()
    {
        string first = cluster.Nodes[0], second = cluster.Nodes[1];
        await Ok("create", "namespace", Ns);
        try
        {
            // Both replicas on the first node: the second is cordoned while they are placed.
            await Ok("cordon", second);
            await cluster.ApplyAsync(Workload);
            await cluster.PollAsync("both replicas ready", o => o == "2", TimeSpan.FromSeconds(120), "-n", Ns, "get", "deployment", "guarded", "-o", "jsonpath={.status.readyReplicas}");
            Assert.Equal($"{first} {first}", (await Ok("-n", Ns, "get", "pods", "-l", "app=guarded", "-o", "jsonpath={.items[*].spec.nodeName}")).Trim());
            await Ok("uncordon", second);
            await cluster.PollAsync("the budget allows one disruption", o => o == "1", TimeSpan.FromSeconds(30), "-n", Ns, "get", "pdb", "guarded", "-o", "jsonpath={.status.disruptionsAllowed}");
            string table = await Ok("-n", Ns, "get", "pdb", "guarded");
            Assert.Matches(@"guarded\s+1\s+N/A\s+1\s+", table);

            Kubectl.Result drain = await cluster.KubectlAsync("drain", first, "--pod-selector", "app=guarded", "--ignore-daemonsets", "--timeout=120s");
            Assert.True(drain.ExitCode == 0, $"drain failed: {drain.Output}\n{await cluster.DiagnosticsAsync()}");
            Assert.Contains("Cannot evict pod as it would violate the pod's disruption budget.", drain.Output, StringComparison.Ordinal);
            Assert.Contains($"node/{first} drained", drain.Output, StringComparison.Ordinal);

            // Both replicas now run on the second node, ready; the budget is met again.
            await cluster.PollAsync("both replicas ready on the second node", o => o == $"{second} {second}", TimeSpan.FromSeconds(60),
                "-n", Ns, "get", "pods", "-l", "app=guarded", "--field-selector", "status.phase=Running", "-o", "jsonpath={.items[*].spec.nodeName}");
            await cluster.PollAsync("the budget allows one disruption again", o => o == "1", TimeSpan.FromSeconds(60), "-n", Ns, "get", "pdb", "guarded", "-o", "jsonpath={.status.disruptionsAllowed}");
        }
        finally
        {
            await cluster.KubectlAsync("uncordon", first);
            await cluster.KubectlAsync("uncordon", second);
            await cluster.KubectlAsync("delete", "namespace", Ns, "--wait=false");
        }
    }
}
