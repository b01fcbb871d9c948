namespace Navarch.E2E.Tests;

/// <summary>
/// The default <c>local-path</c> StorageClass end to end with the real kubectl on `navarch server` with its agent, under
/// Node,RBAC: the scheduler picks the node of a WaitForFirstConsumer claim, the agent's provisioner (as
/// system:kube-proxy) makes the volume there, the kubelet (as system:node) mounts it and the pod's data lands in the
/// volume's filesystem; the PersistentVolume controller binds the claim, and Delete reclaim removes the volume.
/// </summary>
[Trait("Category", "Node")]
public sealed class LocalPathStorageTests(RbacNavarchNode node) : IClassFixture<RbacNavarchNode>
{
    private const string Manifest = """
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: data
        spec:
          storageClassName: local-path
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 16Mi}}
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: writer
        spec:
          restartPolicy: Never
          terminationGracePeriodSeconds: 1
          containers:
          - name: main
            image: busybox:1.35
            command: ["sh", "-c", "echo kept > /data/f"]
            volumeMounts: [{name: data, mountPath: /data}]
          volumes:
          - name: data
            persistentVolumeClaim: {claimName: data}
        """;

    [Fact]
    public async Task A_WaitForFirstConsumer_claim_is_provisioned_on_the_pods_node_and_mounted()
    {
        TimeSpan timeout = TimeSpan.FromSeconds(90);
        string sc = await node.OkAsync("get", "storageclass", "local-path", "-o", "jsonpath={.metadata.annotations.storageclass\\.kubernetes\\.io/is-default-class} {.volumeBindingMode} {.provisioner} {.reclaimPolicy} {.allowVolumeExpansion}");
        Assert.Equal("true WaitForFirstConsumer navarch.io/local-path Delete true", sc.Trim());

        await node.ApplyAsync(Manifest);
        await node.PollAsync("the scheduler's selected-node", s => s == node.NodeName, timeout, "get", "pvc", "data", "-o", "jsonpath={.metadata.annotations.volume\\.kubernetes\\.io/selected-node}");
        string uid = (await node.OkAsync("get", "pvc", "data", "-o", "jsonpath={.metadata.uid}")).Trim();
        string pv = "pvc-" + uid;
        await node.PollAsync("the provisioned volume", s => s == "16Mi " + node.NodeName, timeout, "get", "pv", pv, "-o", "jsonpath={.spec.capacity.storage} {.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]}");

        // The PersistentVolume controller handed the claim to the provisioner and binds it to the volume made.
        Assert.Equal("navarch.io/local-path", (await node.OkAsync("get", "pvc", "data", "-o", "jsonpath={.metadata.annotations.volume\\.kubernetes\\.io/storage-provisioner}")).Trim());
        await node.PollAsync("the claim bound", s => s == $"Bound {pv} 16Mi", timeout, "get", "pvc", "data", "-o", "jsonpath={.status.phase} {.spec.volumeName} {.status.capacity.storage}");
        await node.PollAsync("the writer done", s => s == "Succeeded " + node.NodeName, timeout, "get", "pod", "writer", "-o", "jsonpath={.status.phase} {.spec.nodeName}");
        Assert.Equal("kept\n", File.ReadAllText(Path.Combine(node.DataDir, "agent", "storage", pv, "f")));

        await node.OkAsync("delete", "pod", "writer", "--timeout=60s");
        await node.OkAsync("delete", "pvc", "data", "--timeout=60s");
        // Released by the controller, then deleted by the provisioner (reclaim policy Delete) with its image.
        await node.PollAsync("the released volume deleted", s => s.Length == 0, timeout, "get", "pv", "--ignore-not-found", "-o", "name");
        Assert.False(File.Exists(Path.Combine(node.DataDir, "agent", "storage", pv + ".img")));
    }
}
