using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Navarch.E2E.Tests;

/// <summary>A one-node cluster with a short HPA sync period, scale-down window and metric resolution, so autoscaling is seen in seconds.</summary>
public sealed class AutoscalingNavarchNode : NavarchNode
{
    public AutoscalingNavarchNode()
        : base(["--horizontal-pod-autoscaler-sync-period", "2s", "--horizontal-pod-autoscaler-downscale-stabilization", "5s", "--metric-resolution", "2s"])
    {
    }
}

/// <summary>
/// The whole autoscaling loop on real containers: busybox pods burning CPU for 15 s (request 100m) are measured by the
/// kubelet's cgroup readings, scraped into metrics.k8s.io (<c>kubectl top</c>), and a HorizontalPodAutoscaler made by
/// <c>kubectl autoscale</c> scales their Deployment from 1 to its maximum of 3, shows <c>cpu: N%/50%</c> as TARGETS,
/// and scales back to 1 once the burning stops and the 5 s scale-down window has passed, recording each step as an
/// Event.
/// </summary>
[Trait("Category", "Node")]
public sealed partial class HorizontalPodAutoscalerTests(AutoscalingNavarchNode node) : IClassFixture<AutoscalingNavarchNode>
{
    private const string Ns = "hpa";

    private static readonly string Burner = $$$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: burn, namespace: {{{Ns}}}}
        spec:
          replicas: 1
          selector: {matchLabels: {app: burn}}
          template:
            metadata: {labels: {app: burn}}
            spec:
              terminationGracePeriodSeconds: 0
              containers:
              - name: burn
                image: busybox:1.35
                command: ["sh", "-c", "timeout 15 sh -c 'while :; do :; done'; exec sleep 3600"]
                resources: {requests: {cpu: 100m}}
        """;

    private Task<string> Ok(params string[] args) => node.OkAsync(args);

    [GeneratedRegex(@"^burn\s+Deployment/burn\s+cpu: (\d+)%/50%\s+1\s+3\s+", RegexOptions.Multiline)]
    private static partial Regex HpaRow();

    [Fact]
    public async Task A_cpu_burning_deployment_scales_up_to_its_maximum_and_back_down_when_the_load_stops()
    {
        await Ok("create", "namespace", Ns);
        try
        {
            await node.ApplyAsync(Burner);
            await node.PollAsync("the burner ready", o => o == "1", TimeSpan.FromSeconds(60), "-n", Ns, "get", "deployment", "burn", "-o", "jsonpath={.status.readyReplicas}");
            var load = Stopwatch.StartNew();
            await Ok("-n", Ns, "autoscale", "deployment", "burn", "--cpu-percent=50", "--min=1", "--max=3");

            // kubectl top: the burning pod uses far more than its 100m request.
            string top = await node.PollAsync("kubectl top pods shows the burner", o => BurnerMilliCpu(o) > 100, TimeSpan.FromSeconds(30), "-n", Ns, "top", "pods", "--containers");
            Assert.Contains("burn", top);

            string hpa = await node.PollAsync("kubectl get hpa shows a CPU utilization", o => HpaRow().IsMatch(o), TimeSpan.FromSeconds(30), "-n", Ns, "get", "hpa", "burn");
            Assert.True(int.Parse(HpaRow().Match(hpa).Groups[1].Value) > 50, hpa);

            await node.PollAsync("scaled up to 3", o => o == "3", TimeSpan.FromSeconds(30), "-n", Ns, "get", "deployment", "burn", "-o", "jsonpath={.spec.replicas}");
            TimeSpan scaledUp = load.Elapsed;
            await node.PollAsync("3 replicas ready", o => o == "3", TimeSpan.FromSeconds(30), "-n", Ns, "get", "deployment", "burn", "-o", "jsonpath={.status.readyReplicas}");
            Console.WriteLine($"HPA: load start to scale-up {scaledUp.TotalSeconds:0.0} s, to 3 replicas Ready {load.Elapsed.TotalSeconds:0.0} s");

            // Every burner stops 15 s after its start: back to 1 after the 5 s window.
            await node.PollAsync("scaled back down to 1", o => o == "1", TimeSpan.FromSeconds(60), "-n", Ns, "get", "deployment", "burn", "-o", "jsonpath={.spec.replicas}");
            string events = await Ok("-n", Ns, "get", "events", "--field-selector", "reason=SuccessfulRescale", "-o", "jsonpath={range .items[*]}{.message}{\"\\n\"}{end}");
            Assert.Contains("New size: 3; reason: cpu resource utilization (percentage of request) above target", events);
            Assert.Contains("New size: 1; reason: All metrics below target", events);
            string conditions = await Ok("-n", Ns, "get", "hpa", "burn", "-o", "jsonpath={range .status.conditions[*]}{.type}={.status} {end}");
            Assert.Contains("AbleToScale=True", conditions);
            Assert.Contains("ScalingActive=True", conditions);

            // The node and cluster-wide views kubectl top offers.
            Assert.Contains(node.NodeName, await Ok("top", "nodes"));
            Assert.Contains("burn", await Ok("top", "pods", "-A", "--containers", "--sort-by=cpu"));
            Assert.Contains("burn", await Ok("top", "pods", "-A", "--sort-by=memory"));
        }
        finally
        {
            await node.KubectlAsync("delete", "namespace", Ns, "--wait=true", "--timeout=60s");
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
