using k8s;
using k8s.Models;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Runtime;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// A pod's RuntimeClass reaching containerd: the kubelet passes the class's handler to RunPodSandbox, so a class with
/// containerd's "runc" handler runs and one with a handler containerd does not have never gets a sandbox.
/// </summary>
[Trait("Category", "Node")]
public sealed class RuntimeClassEndToEndTests(ITestOutputHelper output)
{
    private static V1Pod Pod(string name, string node, string runtimeClass) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1PodSpec
        {
            NodeName = node,
            RuntimeClassName = runtimeClass,
            TerminationGracePeriodSeconds = 1,
            Containers = [new V1Container { Name = "main", Image = "busybox:1.35", Command = ["sleep", "3600"] }],
        },
    };

    [Fact]
    public async Task The_runtime_class_handler_is_the_sandbox_runtime_handler()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        Kubernetes client = node.Client;
        await client.NodeV1.CreateRuntimeClassAsync(new V1RuntimeClass { Metadata = new V1ObjectMeta { Name = "runc" }, Handler = "runc" });
        await client.NodeV1.CreateRuntimeClassAsync(new V1RuntimeClass { Metadata = new V1ObjectMeta { Name = "absent" }, Handler = "absent" });
        await client.CoreV1.CreateNamespacedPodAsync(Pod("absent", node.Options.NodeName, "absent"), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("classy", node.Options.NodeName, "runc"), "default");

        V1Pod running = await KubeletNode.WaitAsync(async () =>
        {
            V1Pod p = await client.CoreV1.ReadNamespacedPodAsync("classy", "default");
            return p.Status?.Phase == "Running" ? p : null;
        }, "the pod of RuntimeClass runc runs");

        using var cri = new CriConnection(node.Socket);
        IReadOnlyList<PodSandbox> sandboxes = await cri.Runtime.ListPodSandboxAsync(null, CancellationToken.None);
        PodSandbox sandbox = Assert.Single(sandboxes, s => s.Metadata.Uid == running.Metadata.Uid);
        Assert.Equal("runc", sandbox.RuntimeHandler);

        // The other pod was scheduled first: containerd has no "absent" runtime, so it never gets a sandbox.
        V1Pod absent = await client.CoreV1.ReadNamespacedPodAsync("absent", "default");
        Assert.Equal("Pending", absent.Status?.Phase ?? "Pending");
        Assert.DoesNotContain(sandboxes, s => s.Metadata.Uid == absent.Metadata.Uid && s.State == PodSandboxState.SandboxReady);

        // And `kubectl describe` says why, in the kubelet's words (one Event, counted, however often it is retried).
        Corev1Event failed = await KubeletNode.WaitAsync(async () =>
            (await client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=absent")).Items.FirstOrDefault(e => e.Reason == "FailedCreatePodSandBox"),
            "a FailedCreatePodSandBox event");
        Assert.Equal("Warning", failed.Type);
        Assert.StartsWith("Failed to create pod sandbox: rpc error: code = ", failed.Message, StringComparison.Ordinal);
        Assert.Contains("absent", failed.Message, StringComparison.Ordinal);
    }

}
