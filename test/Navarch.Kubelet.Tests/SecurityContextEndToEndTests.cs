using k8s;
using k8s.Models;
using Navarch.Kubelet.Runtime;
using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// The security context fields the Pod Security Standards check, as seen from inside real containers: user, groups,
/// capabilities, no_new_privs, seccomp, read-only root, the /proc masks, host namespaces, and runAsNonRoot refusing
/// an image that runs as root.
/// </summary>
[Trait("Category", "Node")]
public sealed class SecurityContextEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Security_contexts_reach_the_processes()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        Kubernetes client = node.Client;
        string nodeName = node.Options.NodeName;
        await client.CoreV1.CreateNamespacedPodAsync(Pod(nodeName, "restricted", new V1PodSecurityContext
        {
            RunAsNonRoot = true,
            RunAsUser = 1000,
            RunAsGroup = 3000,
            FsGroup = 2000,
            SupplementalGroups = [4000],
            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
        }, new V1SecurityContext
        {
            AllowPrivilegeEscalation = false,
            ReadOnlyRootFilesystem = true,
            Capabilities = new V1Capabilities { Drop = ["ALL"], Add = ["NET_BIND_SERVICE"] },
        }), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod(nodeName, "plain", null, null), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod(nodeName, "privileged", null, new V1SecurityContext { Privileged = true }), "default");
        V1Pod host = Pod(nodeName, "host", null, null);
        host.Spec.HostPID = true;
        host.Spec.HostIPC = true;
        host.Spec.HostNetwork = true;
        await client.CoreV1.CreateNamespacedPodAsync(host, "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod(nodeName, "nonroot-image", new V1PodSecurityContext { RunAsNonRoot = true }, null), "default");

        using var cri = new CriConnection(node.Socket);

        // restricted: uid/gid and groups, NET_BIND_SERVICE alone in the bounding set, no_new_privs, seccomp filter mode, read-only root.
        string restricted = await RunningAsync(client, "restricted");
        Assert.Equal("1000", await ExecAsync(cri, restricted, "busybox", "id", "-u"));
        Assert.Equal("3000", await ExecAsync(cri, restricted, "busybox", "id", "-g"));
        Assert.Equal(["2000", "3000", "4000"], (await ExecAsync(cri, restricted, "busybox", "id", "-G")).Split(' ').Order(StringComparer.Ordinal));
        Dictionary<string, string> status = await StatusAsync(cri, restricted);
        Assert.Equal("0000000000000400", status["CapBnd"]);
        Assert.Equal("0000000000000000", status["CapEff"]);
        Assert.Equal("1", status["NoNewPrivs"]);
        Assert.Equal("2", status["Seccomp"]);
        Assert.Contains("Read-only file system", await ExecAsync(cri, restricted, "busybox", "touch", "/x"), StringComparison.Ordinal);

        // plain (root, nothing set): the runtime's default capabilities, unconfined, /proc/keys masked and /proc/sys read-only.
        string plain = await RunningAsync(client, "plain");
        status = await StatusAsync(cri, plain);
        Assert.Equal("00000000a80425fb", status["CapEff"]);
        Assert.Equal("0", status["NoNewPrivs"]);
        Assert.Equal("0", status["Seccomp"]);
        Assert.Equal("masked", await ExecAsync(cri, plain, "busybox", "sh", "-c", "busybox test -c /proc/keys && echo masked || echo visible"));
        Assert.StartsWith("ro,", await ProcSysMountAsync(cri, plain), StringComparison.Ordinal);

        // privileged: every capability, /proc unmasked.
        string privileged = await RunningAsync(client, "privileged");
        status = await StatusAsync(cri, privileged);
        Assert.Equal(HostCapBnd(), status["CapEff"]);
        Assert.Equal("visible", await ExecAsync(cri, privileged, "busybox", "sh", "-c", "busybox test -c /proc/keys && echo masked || echo visible"));
        Assert.Equal("", await ProcSysMountAsync(cri, privileged));

        // host namespaces: the container shares this process's pid, ipc and network namespaces.
        string hostId = await RunningAsync(client, "host");
        foreach (string ns in new[] { "pid", "ipc", "net" })
        {
            Assert.Equal(new FileInfo($"/proc/self/ns/{ns}").LinkTarget, await ExecAsync(cri, hostId, "busybox", "readlink", $"/proc/self/ns/{ns}"));
        }

        Assert.NotEqual(new FileInfo("/proc/self/ns/net").LinkTarget, await ExecAsync(cri, plain, "busybox", "readlink", "/proc/self/ns/net"));

        // runAsNonRoot with an image whose user is root (busybox sets none) never starts.
        V1Pod refused = await KubeletNode.WaitAsync(async () =>
        {
            V1Pod p = await client.CoreV1.ReadNamespacedPodAsync("nonroot-image", "default");
            return p.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Waiting?.Reason == "CreateContainerConfigError" ? p : null;
        }, "runAsNonRoot refused");
        Assert.StartsWith("container has runAsNonRoot and image will run as root", refused.Status.ContainerStatuses[0].State.Waiting.Message, StringComparison.Ordinal);
    }

    private static V1Pod Pod(string node, string name, V1PodSecurityContext? pod, V1SecurityContext? container) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1PodSpec
        {
            NodeName = node,
            TerminationGracePeriodSeconds = 1,
            SecurityContext = pod,
            Containers = [new V1Container { Name = "c", Image = "busybox:1.35", Command = ["sleep", "3600"], SecurityContext = container }],
        },
    };

    private static async Task<string> RunningAsync(Kubernetes client, string name)
    {
        V1Pod pod = await KubeletNode.WaitAsync(async () =>
        {
            V1Pod p = await client.CoreV1.ReadNamespacedPodAsync(name, "default");
            return p.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Running is not null ? p : null;
        }, $"{name} running");
        return pod.Status.ContainerStatuses[0].ContainerID["containerd://".Length..];
    }

    private static async Task<string> ExecAsync(CriConnection cri, string containerId, params string[] cmd)
    {
        ExecSyncResponse r = await cri.Runtime.ExecSyncAsync(containerId, cmd, TimeSpan.FromSeconds(10), CancellationToken.None);
        return (r.Stdout.ToStringUtf8() + r.Stderr.ToStringUtf8()).Trim();
    }

    /// <summary>The mount options of a separate /proc/sys mount (the read-only path), or empty without one.</summary>
    private static Task<string> ProcSysMountAsync(CriConnection cri, string containerId) =>
        ExecAsync(cri, containerId, "busybox", "awk", "$5 == \"/proc/sys\" { print $6 }", "/proc/self/mountinfo");

    /// <summary>The Cap*, NoNewPrivs and Seccomp lines of the process's /proc/self/status.</summary>
    private static async Task<Dictionary<string, string>> StatusAsync(CriConnection cri, string containerId) =>
        (await ExecAsync(cri, containerId, "busybox", "cat", "/proc/self/status")).Split('\n')
            .Select(l => l.Split(':', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);

    /// <summary>This (root) test process's bounding set: every capability the kernel has, which a privileged container gets.</summary>
    private static string HostCapBnd() =>
        File.ReadAllLines("/proc/self/status").Single(l => l.StartsWith("CapBnd:", StringComparison.Ordinal))["CapBnd:".Length..].Trim();
}
