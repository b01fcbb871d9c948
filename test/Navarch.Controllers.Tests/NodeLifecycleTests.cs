using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.Controllers.Tests;

/// <summary>
/// The node lifecycle and taint eviction controllers against a real API server, with a 2 s grace period. The test
/// plays the kubelet: it registers the Node with Ready=True and renews its Lease in kube-node-lease, or stops.
/// Pods are bound to the node, so the API server deletes them gracefully: a deletionTimestamp counts as evicted.
/// </summary>
[Trait("Category", "Integration")]
public sealed class NodeLifecycleTests : ControllerCluster
{
    private const string Unreachable = "node.kubernetes.io/unreachable";

    protected override ControllerManagerOptions Options => new()
    {
        NodeMonitorGracePeriod = TimeSpan.FromSeconds(2),
        NodeMonitorPeriod = TimeSpan.FromMilliseconds(200),
    };

    /// <summary>Registers the node, posts Ready=True and renews its Lease every 200 ms until the returned source is cancelled.</summary>
    private async Task<(CancellationTokenSource Stop, Task Loop)> StartKubelet(string node)
    {
        await Client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = node } });
        await PostReady(node);
        return StartRenewing(node);
    }

    private (CancellationTokenSource Stop, Task Loop) StartRenewing(string node)
    {
        var stop = new CancellationTokenSource();
        Task loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await RenewLease(node);
                try
                {
                    await Task.Delay(200, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
        return (stop, loop);
    }

    private async Task RenewLease(string node)
    {
        try
        {
            V1Lease lease = await Client.CoordinationV1.ReadNamespacedLeaseAsync(node, "kube-node-lease");
            lease.Spec.RenewTime = DateTime.UtcNow;
            await Client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, node, "kube-node-lease");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            await Client.CoordinationV1.CreateNamespacedLeaseAsync(
                new V1Lease
                {
                    Metadata = new V1ObjectMeta { Name = node, NamespaceProperty = "kube-node-lease" },
                    Spec = new V1LeaseSpec { HolderIdentity = node, LeaseDurationSeconds = 40, RenewTime = DateTime.UtcNow },
                },
                "kube-node-lease");
        }
    }

    /// <summary>The kubelet's status update: Ready as given, no pressure, with a fresh heartbeat (retried on conflicts).</summary>
    private async Task PostReady(string node, string ready = "True")
    {
        for (int attempt = 0; ; attempt++)
        {
            V1Node current = await Client.CoreV1.ReadNodeAsync(node);
            DateTime now = DateTime.UtcNow;
            current.Status ??= new V1NodeStatus();
            current.Status.Conditions =
            [
                new V1NodeCondition { Type = "Ready", Status = ready, Reason = ready == "True" ? "KubeletReady" : "KubeletNotReady", Message = "kubelet is posting ready status", LastHeartbeatTime = now, LastTransitionTime = now },
                new V1NodeCondition { Type = "MemoryPressure", Status = "False", Reason = "KubeletHasSufficientMemory", LastHeartbeatTime = now, LastTransitionTime = now },
                new V1NodeCondition { Type = "DiskPressure", Status = "False", Reason = "KubeletHasNoDiskPressure", LastHeartbeatTime = now, LastTransitionTime = now },
                new V1NodeCondition { Type = "PIDPressure", Status = "False", Reason = "KubeletHasSufficientPID", LastHeartbeatTime = now, LastTransitionTime = now },
            ];
            try
            {
                await Client.CoreV1.ReplaceNodeStatusAsync(current, node);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < 20)
            {
            }
        }
    }

    private static V1Pod Pod(string name, string node, params V1Toleration[] tolerations) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec { NodeName = node, Tolerations = tolerations, Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
    };

    private static V1Toleration TolerateUnreachable(long? seconds) =>
        new() { Key = Unreachable, OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = seconds };

    private async Task<bool> Evicted(string pod)
    {
        try
        {
            return (await Client.CoreV1.ReadNamespacedPodAsync(pod, "default")).Metadata.DeletionTimestamp is not null;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return true;
        }
    }

    private async Task<V1Taint?> Taint(string node, string key, string effect) =>
        (await Client.CoreV1.ReadNodeAsync(node)).Spec?.Taints?.FirstOrDefault(t => t.Key == key && t.Effect == effect);

    private async Task<V1NodeCondition> Condition(string node, string type) =>
        (await Client.CoreV1.ReadNodeAsync(node)).Status.Conditions.First(c => c.Type == type);

    [Fact]
    public async Task A_node_whose_lease_is_renewed_stays_ready_and_untainted()
    {
        (CancellationTokenSource stop, Task loop) = await StartKubelet("alive");
        // Well past the grace period, with only the lease renewed (as kubelets do between status reports). The grace
        // period runs on the real clock, so time passing is the scenario itself, not a wait for an event.
        await Task.Delay(4500);
        Assert.Equal("True", (await Condition("alive", "Ready")).Status);
        Assert.Empty((await Client.CoreV1.ReadNodeAsync("alive")).Spec?.Taints ?? []);
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }

    [Fact]
    public async Task An_unreachable_node_becomes_unknown_and_its_pods_are_evicted_as_their_tolerations_allow()
    {
        (CancellationTokenSource stop, Task loop) = await StartKubelet("lost");
        // Tolerations for the two keys that match no taint (a value the taints never carry) keep the
        // DefaultTolerationSeconds admission plugin from adding its 300 s ones, so this pod tolerates nothing.
        V1Toleration Never(string key) => new() { Key = key, OperatorProperty = "Equal", Value = "never", Effect = "NoExecute" };
        V1Pod intolerant = await Client.CoreV1.CreateNamespacedPodAsync(Pod("intolerant", "lost", Never(Unreachable), Never("node.kubernetes.io/not-ready")), "default");
        Assert.All(intolerant.Spec.Tolerations, t => Assert.Equal("never", t.Value));
        await Client.CoreV1.CreateNamespacedPodAsync(Pod("patient", "lost", TolerateUnreachable(3)), "default");
        await Client.CoreV1.CreateNamespacedPodAsync(Pod("loyal", "lost", TolerateUnreachable(null)), "default");

        // A second of the real-clock grace period with the lease renewed: the node stays Ready.
        await Task.Delay(1000);
        Assert.Equal("True", (await Condition("lost", "Ready")).Status);

        // The kubelet dies.
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
        await Eventually(async () => await Taint("lost", Unreachable, "NoExecute") is not null, "the node is tainted unreachable:NoExecute", TimeSpan.FromSeconds(8));
        DateTime tainted = DateTime.UtcNow;
        foreach (string type in new[] { "Ready", "MemoryPressure", "DiskPressure", "PIDPressure" })
        {
            V1NodeCondition condition = await Condition("lost", type);
            Assert.Equal("Unknown", condition.Status);
            Assert.Equal("NodeStatusUnknown", condition.Reason);
            Assert.Equal("Kubelet stopped posting node status.", condition.Message);
        }

        Assert.NotNull((await Taint("lost", Unreachable, "NoExecute"))!.TimeAdded);
        await Eventually(async () => await Taint("lost", Unreachable, "NoSchedule") is not null, "the node is tainted unreachable:NoSchedule");

        await Eventually(() => Evicted("intolerant"), "the pod without tolerations is evicted", TimeSpan.FromSeconds(3));
        Assert.False(await Evicted("patient"));
        V1Pod evicted = await Client.CoreV1.ReadNamespacedPodAsync("intolerant", "default");
        V1PodCondition disruption = Assert.Single(evicted.Status.Conditions, c => c.Type == "DisruptionTarget");
        Assert.Equal(("True", "DeletionByTaintManager"), (disruption.Status, disruption.Reason));

        // timeAdded has whole seconds, so the 3 s may end up to a second early: not before 1.5 s, but by 6 s.
        TimeSpan untilEarliest = TimeSpan.FromSeconds(1.5) - (DateTime.UtcNow - tainted);
        if (untilEarliest > TimeSpan.Zero)
        {
            await Task.Delay(untilEarliest);
        }

        Assert.False(await Evicted("patient"));
        await Eventually(() => Evicted("patient"), "the pod tolerating 3 s is evicted", TimeSpan.FromSeconds(5));
        Assert.True((DateTime.UtcNow - tainted).TotalSeconds >= 1.5);

        // A pod tolerating forever is never evicted: an absence, so a window past the others' evictions.
        await Task.Delay(1000);
        Assert.False(await Evicted("loyal"));

        Corev1EventList events = await Client.CoreV1.ListNamespacedEventAsync("default");
        Assert.Contains(events.Items, e => e.Reason == "NodeNotReady" && e.InvolvedObject.Name == "lost" && e.InvolvedObject.Kind == "Node");
        Assert.Contains(events.Items, e => e.Reason == "TaintManagerEviction" && e.InvolvedObject.Name == "intolerant");
    }

    [Fact]
    public async Task A_node_that_comes_back_loses_its_taints_and_keeps_pods_whose_toleration_had_not_run_out()
    {
        (CancellationTokenSource stop, Task loop) = await StartKubelet("flaky");
        await Client.CoreV1.CreateNamespacedPodAsync(Pod("stays", "flaky", TolerateUnreachable(5)), "default");
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
        await Eventually(async () => await Taint("flaky", Unreachable, "NoExecute") is not null, "the node is tainted unreachable:NoExecute", TimeSpan.FromSeconds(8));

        // The kubelet is back: it renews its lease and reports Ready again.
        (stop, loop) = StartRenewing("flaky");
        await PostReady("flaky");
        await Eventually(async () => ((await Client.CoreV1.ReadNodeAsync("flaky")).Spec?.Taints ?? []).Count == 0, "the node's taints are removed");
        Assert.Equal("True", (await Condition("flaky", "Ready")).Status);

        // Past the toleration's deadline (real time: the scenario itself), the pod is still there.
        await Task.Delay(6000);
        Assert.False(await Evicted("stays"));
        Assert.Empty((await Client.CoreV1.ReadNodeAsync("flaky")).Spec?.Taints ?? []);
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }

    [Fact]
    public async Task A_node_reporting_not_ready_is_tainted_not_ready()
    {
        (CancellationTokenSource stop, Task loop) = await StartKubelet("sick");
        await PostReady("sick", ready: "False");
        await Eventually(async () => await Taint("sick", "node.kubernetes.io/not-ready", "NoExecute") is not null, "the node is tainted not-ready:NoExecute");
        await Eventually(async () => await Taint("sick", "node.kubernetes.io/not-ready", "NoSchedule") is not null, "the node is tainted not-ready:NoSchedule");
        await PostReady("sick");
        await Eventually(async () => ((await Client.CoreV1.ReadNodeAsync("sick")).Spec?.Taints ?? []).Count == 0, "the node's taints are removed");
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }
}
