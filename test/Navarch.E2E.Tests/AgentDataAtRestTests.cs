namespace Navarch.E2E.Tests;

/// <summary>
/// A server with its agent keeps the whole data dir private while a pod with a Secret volume runs: every folder and
/// file Navarch writes is 0700/0600, and what containerd and the pods' volumes keep below <c>agent/</c> (modes their
/// contents need, such as a Secret volume's 0644 files for the container's user) is behind the 0700 <c>agent/</c>.
/// </summary>
[Trait("Category", "Node")]
public sealed class AgentDataAtRestTests(NavarchNode node) : IClassFixture<NavarchNode>
{
    private static readonly Dictionary<string, string> Exceptions = new()
    {
        ["^server\\.log$"] = "the test harness's log of the server process",
        ["^agent/containerd/(root|state|opt)(/|$)"] = "containerd's own content store, snapshots, task state and plugins (0711 as containerd makes them)",
        ["^agent/containerd/containerd\\.sock(\\.ttrpc)?$"] = "containerd's sockets (0660, group root, as containerd makes them)",
        ["^agent/pods/."] = "the pods' volumes and logs, with the modes their containers' users need",
        ["^agent/pod-state/."] = "termination message files, 0666 as the kubelet makes them so any container user may write",
        ["^agent/cni/networks/."] = "the host-local IPAM plugin's reservations (pod IPs)",
    };

    [Fact]
    public async Task The_data_dir_of_a_running_node_is_private_below_agent_and_server()
    {
        await node.OkAsync("create", "secret", "generic", "mounted", "--from-literal=k=v");
        await node.ApplyAsync("""
            apiVersion: v1
            kind: Pod
            metadata: {name: private-walk}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: main
                image: busybox:1.35
                command: ["sleep", "3600"]
                volumeMounts: [{name: s, mountPath: /s}]
              volumes: [{name: s, secret: {secretName: mounted}}]
            """);
        await node.OkAsync("wait", "--for=condition=Ready", "pod/private-walk", "--timeout=90s");

        List<string> loose = DataDirWalk.Loose(node.DataDir, Exceptions);

        Assert.True(loose.Count == 0, string.Join("\n", loose));
        foreach (string folder in new[] { "", "agent", "server", "agent/containerd", "agent/pods", "agent/pod-state", "agent/cni/networks", "agent/etc/cni/net.d" })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(node.DataDir, folder)));
        }

        Assert.Equal("v", await node.OkAsync("exec", "private-walk", "--", "cat", "/s/k"));
        await node.OkAsync("delete", "pod", "private-walk", "--wait=false");
    }
}
