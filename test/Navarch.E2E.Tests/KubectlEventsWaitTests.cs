namespace Navarch.E2E.Tests;

/// <summary>
/// kubectl events (the kubelet's and the scheduler's Events of a pod, filtered by object and type) and
/// kubectl wait --for=jsonpath (met, and timing out) against `navarch server` with its own kubelet and containerd.
/// </summary>
[Trait("Category", "Node")]
public sealed class KubectlEventsWaitTests(NavarchNode node) : IClassFixture<NavarchNode>
{
    [Fact]
    public async Task Kubectl_events_lists_a_pods_events_and_filters_by_type()
    {
        await RunPodAsync("evented");
        await Eventually(
            async () => (await node.KubectlAsync("events", "--for", "pod/evented")).Stdout.Contains("Started container main", StringComparison.Ordinal),
            "the Started event in kubectl events",
            TimeSpan.FromSeconds(60),
            TimeSpan.FromMilliseconds(500));
        string events = await node.OkAsync("events", "--for", "pod/evented");
        Assert.StartsWith("LAST SEEN", events, StringComparison.Ordinal);
        Assert.Contains("Scheduled", events, StringComparison.Ordinal);
        Assert.Contains("Pod/evented", events, StringComparison.Ordinal);
        Assert.Contains("Created container main", events, StringComparison.Ordinal);

        // Only Warnings: the pod has none.
        Assert.DoesNotContain("Started container main", await node.OkAsync("events", "--for", "pod/evented", "--types=Warning"), StringComparison.Ordinal);
        Assert.Contains("Started container main", await node.OkAsync("events", "-A", "-o", "json"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubectl_wait_for_jsonpath_returns_when_the_value_is_reached_and_times_out_otherwise()
    {
        Kubectl.Result applied = await Kubectl.RunAsync(node.Kubeconfig, ["apply", "-f", "-"], """
            apiVersion: v1
            kind: Pod
            metadata: {name: waited, labels: {app: waited}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: main
                image: busybox:1.35
                command: ["sleep", "3600"]
            """);
        Assert.True(applied.ExitCode == 0, applied.Output);
        Assert.Contains("pod/waited condition met", await node.OkAsync("wait", "--for=jsonpath={.status.phase}=Running", "pod/waited", "--timeout=90s"), StringComparison.Ordinal);
        Assert.Contains("pod/waited condition met", await node.OkAsync("wait", "--for=jsonpath={.spec.containers[0].name}=main", "pod", "-l", "app=waited", "--timeout=10s"), StringComparison.Ordinal);

        Kubectl.Result timedOut = await node.KubectlAsync("wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/waited", "--timeout=2s");
        Assert.NotEqual(0, timedOut.ExitCode);
        Assert.Contains("timed out waiting for the condition on pods/waited", timedOut.Stderr, StringComparison.Ordinal);
    }

    private async Task RunPodAsync(string name)
    {
        Kubectl.Result applied = await Kubectl.RunAsync(node.Kubeconfig, ["apply", "-f", "-"], $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: {{name}}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: main
                image: busybox:1.35
                command: ["sleep", "3600"]
            """);
        Assert.True(applied.ExitCode == 0, applied.Output);
        await node.OkAsync("wait", "--for=condition=Ready", $"pod/{name}", "--timeout=90s");
    }
}
