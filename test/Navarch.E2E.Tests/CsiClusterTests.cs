using Navarch.Kubelet.Tests.Csi;

namespace Navarch.E2E.Tests;

/// <summary>
/// CSI on a whole cluster: `navarch server` with its agent (the PersistentVolume and attach-detach controllers, the
/// scheduler, the kubelet and the built-in CSI sidecars) and the tests' C# CSI driver registered through the agent's
/// plugins_registry. A StatefulSet's claim on the driver's class goes through every step with the real kubectl:
/// CreateVolume and the bind, the VolumeAttachment attached (ControllerPublishVolume) and listed in the node's
/// volumesAttached, stage and publish, the container's write landing in the driver's volume; the pod deleted:
/// unpublish, unstage, the detach (ControllerUnpublishVolume) once the kubelet no longer reports the volume in use;
/// the claim deleted: DeleteVolume and the volume gone.
/// </summary>
[Trait("Category", "Node")]
public sealed class CsiClusterTests(NavarchNode node) : IClassFixture<NavarchNode>
{
    private const string Driver = "cluster.csi.navarch.test";

    private const string Manifest = $$"""
        apiVersion: storage.k8s.io/v1
        kind: CSIDriver
        metadata:
          name: {{Driver}}
        spec:
          attachRequired: true
        ---
        apiVersion: storage.k8s.io/v1
        kind: StorageClass
        metadata:
          name: csi-test
        provisioner: {{Driver}}
        reclaimPolicy: Delete
        volumeBindingMode: Immediate
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: web
        spec:
          serviceName: web
          replicas: 1
          selector:
            matchLabels:
              app: web
          template:
            metadata:
              labels:
                app: web
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: main
                image: busybox:1.35
                command: ["sh", "-c", "echo from-web > /data/f && sleep 3600"]
                volumeMounts: [{name: data, mountPath: /data}]
          volumeClaimTemplates:
          - metadata:
              name: data
            spec:
              storageClassName: csi-test
              accessModes: [ReadWriteOnce]
              resources:
                requests:
                  storage: 32Mi
        """;

    [Fact]
    public async Task A_statefulset_claim_is_provisioned_attached_mounted_written_and_all_undone()
    {
        TimeSpan timeout = TimeSpan.FromSeconds(90);
        await using TestCsiDriver driver = await TestCsiDriver.StartAsync(Driver, Path.Combine(node.DataDir, "agent", "plugins_registry"), (n, d, r, a) => new TestCsiDriver(n, d, r, a) { NodeId = "id-" + node.NodeName, Attach = true });
        await node.PollAsync("the driver registered in the node's CSINode", s => s == Driver, timeout, "get", "csinode", node.NodeName, "-o", "jsonpath={.spec.drivers[*].name}");
        await node.ApplyAsync(Manifest);

        // Provisioned by the agent's external-provisioner part, bound by the PersistentVolume controller.
        string pv = await node.PollAsync("the claim bound", s => s.StartsWith("Bound pvc-", StringComparison.Ordinal), timeout, "get", "pvc", "data-web-0", "-o", "jsonpath={.status.phase} {.spec.volumeName}");
        pv = pv["Bound ".Length..];
        Assert.Contains($"CreateVolume {pv} {32 * 1024 * 1024}", driver.Calls);
        Assert.Equal($"{Driver} {pv}", (await node.OkAsync("get", "pv", pv, "-o", "jsonpath={.spec.csi.driver} {.spec.csi.volumeHandle}")).Trim());

        // The attach-detach controller's VolumeAttachment, attached by ControllerPublishVolume, and the node's volumesAttached.
        string unique = $"kubernetes.io/csi/{Driver}^{pv}";
        await node.PollAsync("the pod running", s => s == "Running " + node.NodeName, timeout, "get", "pod", "web-0", "-o", "jsonpath={.status.phase} {.spec.nodeName}");
        Assert.Equal($"true {Driver} {pv} id-{node.NodeName}", (await node.OkAsync("get", "volumeattachments", "-o", "jsonpath={.items[0].status.attached} {.items[0].spec.attacher} {.items[0].spec.source.persistentVolumeName} {.items[0].status.attachmentMetadata.attached-to}")).Trim());
        Assert.Contains($"ControllerPublishVolume {pv} id-{node.NodeName}", driver.Calls);
        await node.PollAsync("volumesAttached", s => s == unique, timeout, "get", "node", node.NodeName, "-o", "jsonpath={.status.volumesAttached[*].name}");
        await node.PollAsync("volumesInUse", s => s == unique, timeout, "get", "node", node.NodeName, "-o", "jsonpath={.status.volumesInUse[*]}");

        // Staged and published by the kubelet; the container's write is in the driver's volume.
        Assert.Contains(driver.Calls, c => c.StartsWith($"NodeStageVolume {pv}", StringComparison.Ordinal));
        Assert.Contains(driver.Calls, c => c.StartsWith($"NodePublishVolume {pv}", StringComparison.Ordinal));
        await Eventually(() => File.Exists(Path.Combine(driver.VolumesDir, pv, "f")), "the container's write", timeout);
        Assert.Equal("from-web\n", File.ReadAllText(Path.Combine(driver.VolumesDir, pv, "f")));

        // The StatefulSet goes (its claim stays): unpublish, unstage, then the detach.
        await node.OkAsync("delete", "statefulset", "web", "--cascade=foreground", "--timeout=60s");
        await node.OkAsync("wait", "--for=delete", "pod/web-0", "--timeout=60s");
        await node.PollAsync("the VolumeAttachment gone", s => s.Length == 0, timeout, "get", "volumeattachments", "-o", "name");
        Assert.Contains(driver.Calls, c => c.StartsWith($"NodeUnpublishVolume {pv}", StringComparison.Ordinal));
        Assert.Contains(driver.Calls, c => c.StartsWith($"NodeUnstageVolume {pv}", StringComparison.Ordinal));
        Assert.Contains($"ControllerUnpublishVolume {pv} id-{node.NodeName}", driver.Calls);
        await node.PollAsync("volumesAttached emptied", s => s.Length == 0, timeout, "get", "node", node.NodeName, "-o", "jsonpath={.status.volumesAttached[*].name}");
        Assert.Equal("", (await node.OkAsync("get", "node", node.NodeName, "-o", "jsonpath={.status.volumesInUse[*]}")).Trim());
        Assert.True(File.Exists(Path.Combine(driver.VolumesDir, pv, "f")));

        // The claim goes: Released, then DeleteVolume and the volume gone (reclaim policy Delete).
        await node.OkAsync("delete", "pvc", "data-web-0", "--timeout=60s");
        await node.PollAsync("the released volume deleted", s => s.Length == 0, timeout, "get", "pv", "--ignore-not-found", "-o", "name");
        Assert.Contains($"DeleteVolume {pv}", driver.Calls);
        Assert.False(Directory.Exists(Path.Combine(driver.VolumesDir, pv)));
    }
}
