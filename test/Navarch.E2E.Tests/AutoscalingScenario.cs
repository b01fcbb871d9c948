using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Navarch.E2E.Tests;

/// <summary>
/// The whole autoscaling loop on real containers, on any cluster whose servers run a short HPA sync period and metric
/// resolution: busybox pods burning CPU for 15 s (request 100m, spread over the nodes by a topology spread constraint)
/// are measured by each kubelet's cgroup readings, scraped into metrics.k8s.io (<c>kubectl top</c>), and a
/// HorizontalPodAutoscaler made by <c>kubectl autoscale</c>, given a 5 s scale-down stabilization window through its
/// <c>behavior</c>, scales their Deployment from 1 to its maximum of 3 — on every node — shows <c>cpu: N%/50%</c> as
/// TARGETS, and scales back to 1 once the burning stops and the window has passed, recording each step as an Event.
/// </summary>
internal static partial class AutoscalingScenario
{
    private static string Burner(string ns) => $$$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: burn, namespace: {{{ns}}}}
        spec:
          replicas: 1
          selector: {matchLabels: {app: burn}}
          template:
            metadata: {labels: {app: burn}}
            spec:
              terminationGracePeriodSeconds: 0
              topologySpreadConstraints:
              - maxSkew: 1
                topologyKey: kubernetes.io/hostname
                whenUnsatisfiable: DoNotSchedule
                labelSelector: {matchLabels: {app: burn}}
              containers:
              - name: burn
                image: busybox:1.35
                command: ["sh", "-c", "timeout 15 sh -c 'while :; do :; done'; exec sleep 3600"]
                resources: {requests: {cpu: 100m}}
        """;

    [GeneratedRegex(@"^burn\s+Deployment/burn\s+cpu: (\d+)%/50%\s+1\s+3\s+", RegexOptions.Multiline)]
    private static partial Regex HpaRow();

    /// <summary>Runs the scenario in a namespace <paramref name="ns"/> it creates and deletes; <paramref name="nodes"/> are the cluster's nodes, each of which gets a replica.</summary>
    public static async Task RunAsync(ITestCluster cluster, string ns, IReadOnlyList<string> nodes)
    {
        Task<string> Ok(params string[] args) => cluster.OkAsync(args);
        await Ok("create", "namespace", ns);
        try
        {
            await cluster.ApplyAsync(Burner(ns));
            await cluster.PollAsync("the burner ready", o => o == "1", TimeSpan.FromSeconds(60), "-n", ns, "get", "deployment", "burn", "-o", "jsonpath={.status.readyReplicas}");
            var load = Stopwatch.StartNew();
            await Ok("-n", ns, "autoscale", "deployment", "burn", "--cpu-percent=50", "--min=1", "--max=3");

            // A merge patch, not a read and replace, which could race the controller's status writes.
            await Ok("-n", ns, "patch", "horizontalpodautoscalers.v2.autoscaling", "burn", "--type=merge", "-p", """{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":5}}}}""");
            Assert.Equal("5", (await Ok("-n", ns, "get", "horizontalpodautoscalers.v2.autoscaling", "burn", "-o", "jsonpath={.spec.behavior.scaleDown.stabilizationWindowSeconds}")).Trim());

            // kubectl top: the burning pod uses far more than its 100m request.
            string top = await cluster.PollAsync("kubectl top pods shows the burner", o => BurnerMilliCpu(o) > 100, TimeSpan.FromSeconds(30), "-n", ns, "top", "pods", "--containers");
            Assert.Contains("burn", top);

            string hpa = await cluster.PollAsync("kubectl get hpa shows a CPU utilization", o => HpaRow().IsMatch(o), TimeSpan.FromSeconds(30), "-n", ns, "get", "hpa", "burn");
            Assert.True(int.Parse(HpaRow().Match(hpa).Groups[1].Value) > 50, hpa);

            await cluster.PollAsync("scaled up to 3", o => o == "3", TimeSpan.FromSeconds(30), "-n", ns, "get", "deployment", "burn", "-o", "jsonpath={.spec.replicas}");
            TimeSpan scaledUp = load.Elapsed;
            await cluster.PollAsync("3 replicas ready", o => o == "3", TimeSpan.FromSeconds(30), "-n", ns, "get", "deployment", "burn", "-o", "jsonpath={.status.readyReplicas}");
            Console.WriteLine($"HPA on {nodes.Count} node(s): load start to scale-up {scaledUp.TotalSeconds:0.0} s, to 3 replicas Ready {load.Elapsed.TotalSeconds:0.0} s");

            // The replicas run on every node, each measured by its own kubelet.
            string placed = await Ok("-n", ns, "get", "pods", "-l", "app=burn", "-o", "jsonpath={range .items[*]}{.spec.nodeName}{\"\\n\"}{end}");
            Assert.Equal(nodes.Order(StringComparer.Ordinal), placed.Split('\n', StringSplitOptions.RemoveEmptyEntries).Distinct().Order(StringComparer.Ordinal));

            // Every burner stops 15 s after its start: back to 1 after the 5 s window.
            await cluster.PollAsync("scaled back down to 1", o => o == "1", TimeSpan.FromSeconds(60), "-n", ns, "get", "deployment", "burn", "-o", "jsonpath={.spec.replicas}");
            string events = await Ok("-n", ns, "get", "events", "--field-selector", "reason=SuccessfulRescale", "-o", "jsonpath={range .items[*]}{.message}{\"\\n\"}{end}");
            Assert.Contains("New size: 3; reason: cpu resource utilization (percentage of request) above target", events);
            Assert.Contains("New size: 1; reason: All metrics below target", events);
            string conditions = await Ok("-n", ns, "get", "hpa", "burn", "-o", "jsonpath={range .status.conditions[*]}{.type}={.status} {end}");
            Assert.Contains("AbleToScale=True", conditions);
            Assert.Contains("ScalingActive=True", conditions);

            // The node and cluster-wide views kubectl top offers.
            string topNodes = await Ok("top", "nodes");
            Assert.All(nodes, n => Assert.Contains(n, topNodes));
            Assert.Contains("burn", await Ok("top", "pods", "-A", "--containers", "--sort-by=cpu"));
            Assert.Contains("burn", await Ok("top", "pods", "-A", "--sort-by=memory"));
        }
        finally
        {
            await cluster.KubectlAsync("delete", "namespace", ns, "--wait=true", "--timeout=60s");
        }
    }

    // `kubectl top pods --containers`: POD NAME CPU(cores) MEMORY(bytes); the burner's CPU in millicores, else 0.
    private static int BurnerMilliCpu(string table) =>
        table.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(c => c.Length >= 4 && c[0].StartsWith("burn-", StringComparison.Ordinal) && c[2].EndsWith('m'))
            .Select(c => int.Parse(c[2].TrimEnd('m')))
            .DefaultIfEmpty(0)
            .Max();
}
