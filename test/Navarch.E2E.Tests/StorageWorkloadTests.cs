namespace Navarch.E2E.Tests;

/// <summary>
/// Workloads on provisioned storage end to end with the real kubectl on `navarch server` with its agent, under
/// Node,RBAC: a generic ephemeral volume's claim made by the ephemeral volume controller, provisioned on the pod's node,
/// written by the container and collected with the pod; a StatefulSet replica finding its data again after its pod is
/// deleted and made anew, and (whenDeleted Delete) its claim and volume gone with the set.
/// </summary>
[Trait("Category", "Node")]
public sealed class StorageWorkloadTests(RbacNavarchNode node) : IClassFixture<RbacNavarchNode>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_generic_ephemeral_volume_is_provisioned_written_and_deleted_with_its_pod()
    {
        await node.ApplyAsync("""
            apiVersion: v1
            kind: Pod
            metadata:
              name: scratchpod
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: main
                image: busybox:1.35
                command: ["sh", "-c", "echo kept > /scratch/f && sleep 3600"]
                volumeMounts: [{name: scratch, mountPath: /scratch}]
              volumes:
              - name: scratch
                ephemeral:
                  volumeClaimTemplate:
                    metadata: {labels: {app: scratch}}
                    spec:
                      accessModes: [ReadWriteOnce]
                      resources: {requests: {storage: 16Mi}}
            """);

        // The claim <pod>-<volume>, controlled by the pod, of the default class, provisioned where the pod runs.
        await node.PollAsync("the pod running", s => s == "Running " + node.NodeName, Timeout, "get", "pod", "scratchpod", "-o", "jsonpath={.status.phase} {.spec.nodeName}");
        string podUid = (await node.OkAsync("get", "pod", "scratchpod", "-o", "jsonpath={.metadata.uid}")).Trim();
        string owner = await node.OkAsync("get", "pvc", "scratchpod-scratch", "-o", "jsonpath={.metadata.ownerReferences[0].kind} {.metadata.ownerReferences[0].name} {.metadata.ownerReferences[0].uid} {.metadata.ownerReferences[0].controller} {.metadata.labels.app} {.spec.storageClassName}");
        Assert.Equal($"Pod scratchpod {podUid} true scratch local-path", owner.Trim());
        string pv = (await node.PollAsync("the claim bound", s => s.StartsWith("Bound pvc-", StringComparison.Ordinal), Timeout, "get", "pvc", "scratchpod-scratch", "-o", "jsonpath={.status.phase} {.spec.volumeName}")).Trim().Split(' ')[1];
        string file = Path.Combine(node.DataDir, "agent", "storage", pv, "f");
        await Eventually(() => File.Exists(file), "the container's file in the volume", Timeout);
        Assert.Equal("kept\n", await File.ReadAllTextAsync(file));

        // The pod goes: its claim is collected, and the volume (reclaim policy Delete) with it.
        await node.OkAsync("delete", "pod", "scratchpod", "--timeout=60s");
        await node.PollAsync("the claim collected with its pod", s => s.Length == 0, Timeout, "get", "pvc", "--ignore-not-found", "-o", "name");
        await node.PollAsync("the volume deleted", s => s.Length == 0, Timeout, "get", "pv", "--ignore-not-found", "-o", "name");
        Assert.False(File.Exists(Path.Combine(node.DataDir, "agent", "storage", pv + ".img")));
    }

    [Fact]
    public async Task A_StatefulSet_pod_finds_its_data_after_recreation_and_whenDeleted_Delete_removes_the_claim()
    {
        await node.ApplyAsync("""
            apiVersion: apps/v1
            kind: StatefulSet
            metadata:
              name: db
            spec:
              replicas: 1
              serviceName: db
              selector: {matchLabels: {app: db}}
              persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Retain}
              template:
                metadata: {labels: {app: db}}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: main
                    image: busybox:1.35
                    command: ["sh", "-c", "[ -f /data/first ] || cat /proc/sys/kernel/random/uuid > /data/first; cat /proc/sys/kernel/random/uuid >> /data/boots; sleep 3600"]
                    volumeMounts: [{name: data, mountPath: /data}]
              volumeClaimTemplates:
              - metadata: {name: data}
                spec:
                  accessModes: [ReadWriteOnce]
                  resources: {requests: {storage: 16Mi}}
            """);
        await node.PollAsync("db-0 running", s => s == "Running", Timeout, "get", "pod", "db-0", "-o", "jsonpath={.status.phase}");
        string firstPod = (await node.OkAsync("get", "pod", "db-0", "-o", "jsonpath={.metadata.uid}")).Trim();
        string claim = await node.PollAsync("data-db-0 bound", s => s.StartsWith("Bound pvc-", StringComparison.Ordinal), Timeout, "get", "pvc", "data-db-0", "-o", "jsonpath={.status.phase} {.spec.volumeName} {.metadata.uid} {.metadata.ownerReferences[0].kind}");
        string[] parts = claim.Split(' ');
        Assert.Equal("StatefulSet", parts[3]);
        string dir = Path.Combine(node.DataDir, "agent", "storage", parts[1]);
        await Eventually(() => File.Exists(Path.Combine(dir, "boots")), "the first pod's write", Timeout);
        string first = await File.ReadAllTextAsync(Path.Combine(dir, "first"));

        // The pod is deleted: the controller makes db-0 again, on the same claim and volume, and it finds its data.
        await node.OkAsync("delete", "pod", "db-0", "--timeout=60s");
        await node.PollAsync("db-0 made again and running", s => s.StartsWith("Running ", StringComparison.Ordinal) && !s.EndsWith(firstPod, StringComparison.Ordinal), Timeout, "get", "pod", "db-0", "-o", "jsonpath={.status.phase} {.metadata.uid}");
        await Eventually(() => File.ReadAllLines(Path.Combine(dir, "boots")).Length == 2, "the second pod's boot in the same volume", Timeout);
        Assert.Equal(first, await File.ReadAllTextAsync(Path.Combine(dir, "first")));
        Assert.Equal($"{parts[1]} {parts[2]}", (await node.OkAsync("get", "pvc", "data-db-0", "-o", "jsonpath={.spec.volumeName} {.metadata.uid}")).Trim());

        // whenDeleted Delete: the set goes, and its claim and (reclaim policy Delete) volume with it.
        await node.OkAsync("delete", "statefulset", "db", "--timeout=60s");
        await node.PollAsync("the claim collected with the set", s => s.Length == 0, Timeout, "get", "pvc", "--ignore-not-found", "-o", "name");
        await node.PollAsync("the volume deleted", s => s.Length == 0, Timeout, "get", "pv", "--ignore-not-found", "-o", "name");
    }
}
