using k8s;
using k8s.Models;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Runtime;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// The kubelet against a real API server and its own containerd, as root: node registration and lease, a busybox
/// pod from Pending to Running with its output in the CRI log, graceful deletion down to no containers, restarts.
/// </summary>
[Trait("Category", "Node")]
public sealed class KubeletEndToEndTests(ITestOutputHelper output)
{
    private static V1Pod Pod(string name, string node, string script, string restartPolicy = "Always") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1PodSpec
        {
            NodeName = node,
            RestartPolicy = restartPolicy,
            TerminationGracePeriodSeconds = 2,
            Containers = [new V1Container { Name = "main", Image = "busybox:1.35", Command = ["sh", "-c", script] }],
        },
    };

    [Fact]
    public async Task Pod_runs_logs_and_is_deleted()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        Kubernetes client = node.Client;
        KubeletOptions options = node.Options;

        V1Node registered = await KubeletNode.WaitAsync(async () =>
        {
            V1Node n = await client.CoreV1.ReadNodeAsync(options.NodeName);
            return n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true ? n : null;
        }, "node Ready");
        Assert.Equal(options.NodeName, registered.Metadata.Labels["kubernetes.io/hostname"]);
        Assert.Equal("linux", registered.Metadata.Labels["kubernetes.io/os"]);
        Assert.Equal("110", registered.Status.Capacity["pods"].ToString());
        Assert.StartsWith("containerd://", registered.Status.NodeInfo.ContainerRuntimeVersion, StringComparison.Ordinal);
        Assert.Contains(registered.Status.Images, i => i.Names.Contains(TestImages.Busybox));
        V1Lease lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(options.NodeName, "kube-node-lease");
        Assert.Equal(options.NodeName, lease.Spec.HolderIdentity);

        V1Pod created = await client.CoreV1.CreateNamespacedPodAsync(Pod("hello", options.NodeName, "echo hello; sleep 3600"), "default");
        V1Pod running = await TestPods.WaitAsync(client, "hello", p => p.Status?.Phase == "Running" && p.Status.ContainerStatuses?.FirstOrDefault()?.State?.Running is not null, "pod Running");
        V1ContainerStatus status = running.Status.ContainerStatuses[0];
        Assert.StartsWith("containerd://", status.ContainerID, StringComparison.Ordinal);
        Assert.StartsWith("sha256:", status.ImageID, StringComparison.Ordinal);
        Assert.Equal(0, status.RestartCount);
        Assert.True(status.Ready);
        Assert.False(string.IsNullOrEmpty(running.Status.PodIP));
        Assert.Contains(running.Status.Conditions, c => c.Type == "Ready" && c.Status == "True");

        string log = Path.Combine(options.PodLogsDir, $"default_hello_{created.Metadata.Uid}", "main", "0.log");
        await KubeletNode.WaitAsync(() => Task.FromResult<string?>(File.Exists(log) && File.ReadAllText(log).Contains("hello", StringComparison.Ordinal) ? "ok" : null), "hello in the container log");

        await TestPods.DeleteAndWaitGoneAsync(client, "hello");

        using var cri = new CriConnection(node.Socket);
        var filter = new ContainerFilter();
        filter.LabelSelector["io.kubernetes.pod.uid"] = created.Metadata.Uid;
        IReadOnlyList<Container> left = await cri.Runtime.ListContainersAsync(filter, CancellationToken.None);
        Assert.Empty(left);
    }

    [Fact]
    public async Task Failing_containers_restart_with_backoff_or_fail_the_pod()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        Kubernetes client = node.Client;
        await client.CoreV1.CreateNamespacedPodAsync(Pod("crash", node.Options.NodeName, "echo run; exit 3"), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("once", node.Options.NodeName, "exit 4", restartPolicy: "Never"), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("done", node.Options.NodeName, "exit 0", restartPolicy: "OnFailure"), "default");

        // The first restart waits 10 s; then the container waits in CrashLoopBackOff with its last exit recorded.
        V1Pod crash = await TestPods.WaitAsync(client, "crash", p => p.Status?.ContainerStatuses?.FirstOrDefault() is { RestartCount: >= 1, State.Waiting.Reason: "CrashLoopBackOff" }, "CrashLoopBackOff after a restart", 60);
        V1ContainerStatus status = crash.Status.ContainerStatuses[0];
        Assert.Equal(3, status.LastState.Terminated.ExitCode);
        Assert.Equal("Error", status.LastState.Terminated.Reason);
        Assert.Equal("Running", crash.Status.Phase);

        V1Pod once = await TestPods.WaitAsync(client, "once", p => p.Status?.Phase == "Failed", "restartPolicy Never pod Failed");
        Assert.Equal(4, once.Status.ContainerStatuses[0].State.Terminated.ExitCode);
        Assert.Equal(0, once.Status.ContainerStatuses[0].RestartCount);
        V1Pod done = await TestPods.WaitAsync(client, "done", p => p.Status?.Phase == "Succeeded", "restartPolicy OnFailure pod Succeeded");
        Assert.Equal("Completed", done.Status.ContainerStatuses[0].State.Terminated.Reason);
    }

    [Fact]
    public async Task Killing_containerd_under_the_kubelet_is_survived()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        Kubernetes client = node.Client;
        string nodeName = node.Options.NodeName;
        await client.CoreV1.CreateNamespacedPodAsync(Pod("before", nodeName, "sleep 3600"), "default");
        V1Pod running = await TestPods.WaitAsync(client, "before", p => p.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Running is not null, "pod Running");
        string containerId = running.Status.ContainerStatuses[0].ContainerID;

        // containerd dies hard (SIGKILL, no clean-up): the supervisor starts another on the same root and state dirs.
        int killed = node.Kubelet.Containerd!.ProcessId;
        Assert.NotEqual(0, killed);
        using (var containerd = System.Diagnostics.Process.GetProcessById(killed))
        {
            containerd.Kill();
        }

        await KubeletNode.WaitAsync(() => Task.FromResult<string?>(node.Kubelet.Containerd.ProcessId is int pid && pid != 0 && pid != killed ? "restarted" : null), "containerd restarted");

        // The running container lived on under its shim: the same container, not restarted, still Ready. A restart is
        // an absence with no event to await: the pod's status is read after 4 s, two of the kubelet's status periods.
        await Task.Delay(TimeSpan.FromSeconds(4));
        V1Pod after = await client.CoreV1.ReadNamespacedPodAsync("before", "default");
        Assert.Equal(containerId, after.Status.ContainerStatuses[0].ContainerID);
        Assert.Equal(0, after.Status.ContainerStatuses[0].RestartCount);
        Assert.NotNull(after.Status.ContainerStatuses[0].State.Running);
        Assert.Contains(after.Status.Conditions, c => c.Type == "Ready" && c.Status == "True");

        // And the node goes on working: a new pod starts through the new containerd, and the node stays Ready.
        await client.CoreV1.CreateNamespacedPodAsync(Pod("after", nodeName, "sleep 3600"), "default");
        await TestPods.WaitAsync(client, "after", p => p.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Running is not null, "a new pod Running");
        V1Node n = await client.CoreV1.ReadNodeAsync(nodeName);
        Assert.Equal("True", n.Status.Conditions.Single(c => c.Type == "Ready").Status);
    }
}
