using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Api.Storage;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.LocalPath;
using Navarch.Kubelet.Runtime;
using Navarch.Kubelet.Volumes;
using Navarch.Testing;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// The local-path provisioner and persistentVolumeClaim volumes against a real API server and containerd: a claim
/// provisioned on the node (an ext4 image on a loop device), bound by hand as the PersistentVolume controller would,
/// written by one pod and read by the next; ENOSPC past the capacity; expansion seen in a running container; readOnly;
/// fsGroup; volumesInUse; FailedMount for an unbound claim; the volume mounted again by a restarted agent; a hostPath
/// volume with a subPath; and Delete reclaim leaving no image and no mount.
/// </summary>
[Trait("Category", "Node")]
public sealed class LocalPathEndToEndTests(ITestOutputHelper output)
{
    private const string Ns = "default";

    [Fact]
    public async Task A_provisioned_claim_keeps_data_across_pods_caps_writes_grows_and_is_deleted()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        Kubernetes client = node.Client;
        string storage = Path.Combine(node.Options.AgentDir, "storage", "local-path");
        using ILoggerFactory loggers = LoggerFactory.Create(b => b.AddProvider(new TestOutputLoggerProvider(output)));
        LocalPathProvisioner provisioner = new(client, node.Options.NodeName, storage, loggers, resync: TimeSpan.FromSeconds(1));
        var stop = new CancellationTokenSource();
        Task running = provisioner.RunAsync(stop.Token);
        try
        {
            await client.StorageV1.CreateStorageClassAsync(new V1StorageClass
            {
                Metadata = new V1ObjectMeta { Name = "local-path" },
                Provisioner = LocalPathProvisioner.ProvisionerName,
                ReclaimPolicy = "Delete",
                VolumeBindingMode = "WaitForFirstConsumer",
                AllowVolumeExpansion = true,
            });

            // A pod of an unbound claim waits with Kubernetes' FailedMount.
            V1PersistentVolumeClaim claim = await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("data", "16Mi", selectedNode: null), Ns);
            await client.CoreV1.CreateNamespacedPodAsync(Pod(node, "early", "true", "data"), Ns);
            Corev1Event failed = await KubeletNode.WaitAsync(async () => (await client.CoreV1.ListNamespacedEventAsync(Ns)).Items.FirstOrDefault(e => e.InvolvedObject.Name == "early" && e.Reason == "FailedMount"), "FailedMount for an unbound claim");
            Assert.Equal("Unable to attach or mount volumes: unmounted volumes=[data]: error processing PVC default/data: PVC is not bound", failed.Message);
            await TestPods.DeleteAndWaitGoneAsync(client, "early", gracePeriodSeconds: 1);

            // The scheduler's choice of node makes the provisioner create the volume there.
            claim.Metadata.Annotations[StorageAnnotations.SelectedNode] = node.Options.NodeName;
            claim = await client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(claim, "data", Ns);
            string pvName = "pvc-" + claim.Metadata.Uid;
            V1PersistentVolume pv = await KubeletNode.WaitAsync(() => Absent.OrNullAsync(() => client.CoreV1.ReadPersistentVolumeAsync(pvName)), "the provisioned volume");
            Assert.Equal(LocalPathProvisioner.ProvisionerName, pv.Metadata.Annotations[StorageAnnotations.ProvisionedBy]);
            Assert.Equal("16Mi", pv.Spec.Capacity["storage"].ToString());
            Assert.Equal(claim.Metadata.Uid, pv.Spec.ClaimRef.Uid);
            Assert.Equal("Delete", pv.Spec.PersistentVolumeReclaimPolicy);
            Assert.Equal(node.Options.NodeName, pv.Spec.NodeAffinity.Required.NodeSelectorTerms[0].MatchExpressions[0].Values[0]);
            Assert.Equal(Path.Combine(storage, pvName), pv.Spec.Local.Path);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(storage, pvName + ".img")));
            await BindAsync(client, claim, pv);

            // One pod writes (as user 1000 with fsGroup 3000), the next reads; a read-only mount refuses writes.
            V1Pod writer = Pod(node, "writer", "echo kept > /data/f && ls -ln /data/f > /data/owner", "data");
            writer.Spec.SecurityContext = new V1PodSecurityContext { RunAsUser = 1000, FsGroup = 3000 };
            await client.CoreV1.CreateNamespacedPodAsync(writer, Ns);
            await TestPods.WaitPhaseAsync(client, "writer", "Succeeded");
            await TestPods.DeleteAndWaitGoneAsync(client, "writer", gracePeriodSeconds: 1);
            await client.CoreV1.CreateNamespacedPodAsync(Pod(node, "reader", "test \"$(cat /data/f)\" = kept && busybox grep -q ' 1000 *3000 ' /data/owner && ! busybox touch /data/g", "data", readOnly: true), Ns);
            await TestPods.WaitPhaseAsync(client, "reader", "Succeeded");
            await TestPods.DeleteAndWaitGoneAsync(client, "reader", gracePeriodSeconds: 1);

            // Past the capacity the container gets ENOSPC; the node reports the volume in use meanwhile.
            V1Pod filler = Pod(node, "filler", "busybox dd if=/dev/zero of=/data/big bs=1M count=64 2>/dev/termination-log; sleep 3600", "data");
            await client.CoreV1.CreateNamespacedPodAsync(filler, Ns);
            V1Pod running1 = await TestPods.WaitAsync(client, "filler", p => p.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Running is not null, "filler running");
            await KubeletNode.WaitAsync(async () =>
            {
                V1Node n = await client.CoreV1.ReadNodeAsync(node.Options.NodeName);
                return n.Status.VolumesInUse?.Contains("kubernetes.io/local-volume/" + pvName) == true ? n : null;
            }, "volumesInUse");
            using var cri = new CriConnection(node.Socket);
            string id = running1.Status.ContainerStatuses[0].ContainerID["containerd://".Length..];
            await KubeletNode.WaitAsync(async () =>
            {
                string text = await ExecAsync(cri, id, "cat", "/dev/termination-log");
                return text.Contains("No space left on device", StringComparison.Ordinal) ? text : null;
            }, "dd stopped by ENOSPC");
            long before = await SizeKiBAsync(cri, id);
            Assert.InRange(before, 10_000, 16_384);

            // Expansion: the volume grows at once; its filesystem online where the agent may (CAP_SYS_RESOURCE), else as
            // Kubernetes' offline expansion once the pod using it is gone (FileSystemResizePending meanwhile).
            claim = await client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("data", Ns);
            claim.Spec.Resources.Requests["storage"] = new ResourceQuantity("40Mi");
            await client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(claim, "data", Ns);
            claim = await KubeletNode.WaitAsync(async () =>
            {
                V1PersistentVolumeClaim c = await client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("data", Ns);
                return c.Status?.Capacity?["storage"].ToString() == "40Mi" || c.Status?.Conditions?.Any(x => x.Type == "FileSystemResizePending") == true ? c : null;
            }, "the claim expanded or waiting for an offline resize");
            Assert.Equal("40Mi", (await client.CoreV1.ReadPersistentVolumeAsync(pvName)).Spec.Capacity["storage"].ToString());
            bool online = claim.Status.Capacity["storage"].ToString() == "40Mi";
            output.WriteLine(online ? "grown online" : "grown offline");
            if (online)
            {
                Assert.InRange(await SizeKiBAsync(cri, id), 30_000, 40_960);
            }

            await TestPods.DeleteAndWaitGoneAsync(client, "filler", gracePeriodSeconds: 1);
            await KubeletNode.WaitAsync(async () =>
            {
                V1Node n = await client.CoreV1.ReadNodeAsync(node.Options.NodeName);
                return n.Status.VolumesInUse is null or { Count: 0 } ? n : null;
            }, "volumesInUse emptied");
            claim = await KubeletNode.WaitAsync(async () =>
            {
                V1PersistentVolumeClaim c = await client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("data", Ns);
                return c.Status?.Capacity?["storage"].ToString() == "40Mi" ? c : null;
            }, "the claim's capacity after expansion");
            Assert.DoesNotContain(claim.Status.Conditions ?? [], c => c.Type == "FileSystemResizePending");
            await client.CoreV1.CreateNamespacedPodAsync(Pod(node, "grown", "test \"$(cat /data/f)\" = kept && busybox dd if=/dev/zero of=/data/more bs=1M count=16", "data"), Ns);
            await TestPods.WaitPhaseAsync(client, "grown", "Succeeded");
            await TestPods.DeleteAndWaitGoneAsync(client, "grown", gracePeriodSeconds: 1);

            // An agent started again (after a reboot) mounts its volumes again.
            await stop.CancelAsync();
            await running;
            await provisioner.DisposeAsync();
            stop.Dispose();
            MountTable.Unmount(Path.Combine(storage, pvName));
            Assert.False(MountTable.IsMountPoint(Path.Combine(storage, pvName)));
            provisioner = new LocalPathProvisioner(client, node.Options.NodeName, storage, loggers, resync: TimeSpan.FromSeconds(1));
            stop = new CancellationTokenSource();
            running = provisioner.RunAsync(stop.Token);
            await KubeletNode.WaitAsync(() => Task.FromResult(MountTable.IsMountPoint(Path.Combine(storage, pvName)) ? "mounted" : null), "the volume mounted again");
            Assert.Equal("kept\n", File.ReadAllText(Path.Combine(storage, pvName, "f")));

            // A static hostPath volume, mounted in place with a subPath.
            string hostDir = Path.Combine(node.Options.DataDir, "host-pv");
            V1PersistentVolumeClaim hostClaim = await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Claim("host", "1Mi", selectedNode: null), Ns);
            V1PersistentVolume hostPv = await client.CoreV1.CreatePersistentVolumeAsync(new V1PersistentVolume
            {
                Metadata = new V1ObjectMeta { Name = "host-" + hostClaim.Metadata.Uid },
                Spec = new V1PersistentVolumeSpec
                {
                    StorageClassName = "local-path",
                    AccessModes = ["ReadWriteOnce"],
                    Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Mi") },
                    HostPath = new V1HostPathVolumeSource { Path = hostDir, Type = "DirectoryOrCreate" },
                    ClaimRef = new V1ObjectReference { Kind = "PersistentVolumeClaim", NamespaceProperty = Ns, Name = "host", Uid = hostClaim.Metadata.Uid },
                },
            });
            await BindAsync(client, hostClaim, hostPv);
            V1Pod sub = Pod(node, "sub", "echo in-sub > /data/x", "host");
            sub.Spec.Containers[0].VolumeMounts[0].SubPath = "nested";
            await client.CoreV1.CreateNamespacedPodAsync(sub, Ns);
            await TestPods.WaitPhaseAsync(client, "sub", "Succeeded");
            Assert.Equal("in-sub\n", File.ReadAllText(Path.Combine(hostDir, "nested", "x")));
            await TestPods.DeleteAndWaitGoneAsync(client, "sub", gracePeriodSeconds: 1);

            // Released with reclaim policy Delete: the image and the volume go.
            await client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync("data", Ns);
            pv = await client.CoreV1.ReadPersistentVolumeAsync(pvName);
            pv.Status = new V1PersistentVolumeStatus { Phase = "Released" };
            await client.CoreV1.ReplacePersistentVolumeStatusAsync(pv, pvName);
            // (Deleted means a deletionTimestamp here: the pv-protection finalizer admission adds is the controller
            // manager's to remove, and this node has none.)
            await KubeletNode.WaitAsync(async () => await Absent.OrNullAsync(() => client.CoreV1.ReadPersistentVolumeAsync(pvName)) is not { Metadata.DeletionTimestamp: null } ? "gone" : null, "the released volume deleted");
            Assert.False(File.Exists(Path.Combine(storage, pvName + ".img")));
            Assert.Empty(MountTable.MountsUnder(storage));
        }
        finally
        {
            await stop.CancelAsync();
            await running;
            await provisioner.DisposeAsync();
            stop.Dispose();
            foreach (string mount in Directory.Exists(storage) ? MountTable.MountsUnder(storage) : [])
            {
                MountTable.Unmount(mount);
            }
        }
    }

    [Fact]
    public async Task A_block_claim_is_a_raw_device_a_container_writes_and_reads_back()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        Kubernetes client = node.Client;
        string storage = Path.Combine(node.Options.AgentDir, "storage", "local-path");
        using ILoggerFactory loggers = LoggerFactory.Create(b => b.AddProvider(new TestOutputLoggerProvider(output)));
        await using LocalPathProvisioner provisioner = new(client, node.Options.NodeName, storage, loggers, resync: TimeSpan.FromSeconds(1));
        using var stop = new CancellationTokenSource();
        Task running = provisioner.RunAsync(stop.Token);
        try
        {
            await client.StorageV1.CreateStorageClassAsync(new V1StorageClass
            {
                Metadata = new V1ObjectMeta { Name = "local-path" },
                Provisioner = LocalPathProvisioner.ProvisionerName,
                ReclaimPolicy = "Delete",
                VolumeBindingMode = "WaitForFirstConsumer",
            });
            V1PersistentVolumeClaim request = Claim("raw", "8Mi", node.Options.NodeName);
            request.Spec.VolumeMode = "Block";
            V1PersistentVolumeClaim claim = await client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(request, Ns);
            string pvName = "pvc-" + claim.Metadata.Uid;
            V1PersistentVolume pv = await KubeletNode.WaitAsync(() => Absent.OrNullAsync(() => client.CoreV1.ReadPersistentVolumeAsync(pvName)), "the provisioned block volume");
            Assert.Equal("Block", pv.Spec.VolumeMode);
            string link = Path.Combine(storage, pvName);
            Assert.Equal(link, pv.Spec.Local.Path);
            Assert.StartsWith("/dev/loop", File.ResolveLinkTarget(link, returnFinalTarget: true)!.FullName, StringComparison.Ordinal);
            await BindAsync(client, claim, pv);

            // A container writes the device with dd, the next reads it back; the image holds the bytes, no filesystem.
            await client.CoreV1.CreateNamespacedPodAsync(BlockPod(node, "dd-writer", "printf hello-block | busybox dd of=/dev/xvda bs=512 conv=sync"), Ns);
            await TestPods.WaitPhaseAsync(client, "dd-writer", "Succeeded");
            await TestPods.DeleteAndWaitGoneAsync(client, "dd-writer", gracePeriodSeconds: 1);
            await client.CoreV1.CreateNamespacedPodAsync(BlockPod(node, "dd-reader", "test \"$(busybox dd if=/dev/xvda bs=11 count=1 2>/dev/null)\" = hello-block"), Ns);
            await TestPods.WaitPhaseAsync(client, "dd-reader", "Succeeded");
            await TestPods.DeleteAndWaitGoneAsync(client, "dd-reader", gracePeriodSeconds: 1);
            byte[] head = new byte[11];
            await using (var image = File.OpenRead(Path.Combine(storage, pvName + ".img")))
            {
                await image.ReadExactlyAsync(head);
            }

            Assert.Equal("hello-block", System.Text.Encoding.ASCII.GetString(head));

            // The block volume in volumeMounts is refused with the kubelet's message.
            await client.CoreV1.CreateNamespacedPodAsync(Pod(node, "mounts-block", "true", "raw"), Ns);
            Corev1Event failed = await KubeletNode.WaitAsync(async () => (await client.CoreV1.ListNamespacedEventAsync(Ns)).Items.FirstOrDefault(e => e.InvolvedObject.Name == "mounts-block" && e.Reason == "FailedMount"), "FailedMount for a block volume mounted");
            Assert.Equal("Unable to attach or mount volumes: unmounted volumes=[data]: volume data has volumeMode Block, but is specified in volumeMounts", failed.Message);
            await TestPods.DeleteAndWaitGoneAsync(client, "mounts-block", gracePeriodSeconds: 1);

            // Released with reclaim policy Delete: the loop device is detached, the image and link go.
            string device = File.ResolveLinkTarget(link, returnFinalTarget: true)!.FullName;
            await client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync("raw", Ns);
            pv = await client.CoreV1.ReadPersistentVolumeAsync(pvName);
            pv.Status = new V1PersistentVolumeStatus { Phase = "Released" };
            await client.CoreV1.ReplacePersistentVolumeStatusAsync(pv, pvName);
            await KubeletNode.WaitAsync(async () => await Absent.OrNullAsync(() => client.CoreV1.ReadPersistentVolumeAsync(pvName)) is not { Metadata.DeletionTimestamp: null } ? "gone" : null, "the released block volume deleted");
            Assert.False(File.Exists(Path.Combine(storage, pvName + ".img")));
            Assert.Null(new FileInfo(link).LinkTarget);
            string backing = $"/sys/block/{Path.GetFileName(device)}/loop/backing_file";
            Assert.False(File.Exists(backing) && File.ReadAllText(backing).Contains(pvName, StringComparison.Ordinal), "the loop device is detached");
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }
    }

    private static V1Pod BlockPod(KubeletNode node, string name, string script) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Ns },
        Spec = new V1PodSpec
        {
            NodeName = node.Options.NodeName,
            RestartPolicy = "Never",
            TerminationGracePeriodSeconds = 1,
            Containers = [new V1Container { Name = "main", Image = "busybox:1.35", Command = ["sh", "-c", script], VolumeDevices = [new V1VolumeDevice { Name = "data", DevicePath = "/dev/xvda" }] }],
            Volumes = [new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "raw" } }],
        },
    };

    private static V1PersistentVolumeClaim Claim(string name, string size, string? selectedNode)
    {
        var annotations = new Dictionary<string, string> { [StorageAnnotations.StorageProvisioner] = LocalPathProvisioner.ProvisionerName };
        if (selectedNode is not null)
        {
            annotations[StorageAnnotations.SelectedNode] = selectedNode;
        }

        return new V1PersistentVolumeClaim
        {
            Metadata = new V1ObjectMeta { Name = name, Annotations = annotations },
            Spec = new V1PersistentVolumeClaimSpec
            {
                StorageClassName = "local-path",
                AccessModes = ["ReadWriteOnce"],
                Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(size) } },
            },
        };
    }

    private static V1Pod Pod(KubeletNode node, string name, string script, string claim, bool readOnly = false) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Ns },
        Spec = new V1PodSpec
        {
            NodeName = node.Options.NodeName,
            RestartPolicy = "Never",
            TerminationGracePeriodSeconds = 1,
            Containers = [new V1Container { Name = "main", Image = "busybox:1.35", Command = ["sh", "-c", script], VolumeMounts = [new V1VolumeMount { Name = "data", MountPath = "/data" }] }],
            Volumes = [new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim, ReadOnlyProperty = readOnly } }],
        },
    };

    /// <summary>What the PersistentVolume controller does on binding: the claim's volumeName, then both phases.</summary>
    private static async Task BindAsync(Kubernetes client, V1PersistentVolumeClaim claim, V1PersistentVolume pv)
    {
        claim.Spec.VolumeName = pv.Metadata.Name;
        claim = await client.CoreV1.ReplaceNamespacedPersistentVolumeClaimAsync(claim, claim.Metadata.Name, Ns);
        claim.Status = new V1PersistentVolumeClaimStatus { Phase = "Bound", AccessModes = pv.Spec.AccessModes, Capacity = pv.Spec.Capacity };
        await client.CoreV1.ReplaceNamespacedPersistentVolumeClaimStatusAsync(claim, claim.Metadata.Name, Ns);
        pv = await client.CoreV1.ReadPersistentVolumeAsync(pv.Metadata.Name);
        pv.Status = new V1PersistentVolumeStatus { Phase = "Bound" };
        await client.CoreV1.ReplacePersistentVolumeStatusAsync(pv, pv.Metadata.Name);
    }

    private static async Task<long> SizeKiBAsync(CriConnection cri, string id)
    {
        // The test image links few applets; busybox runs the others by name. df -k: "Filesystem 1K-blocks Used Available Use% Mounted on", then the line of /data.
        string df = await ExecAsync(cri, id, "busybox", "df", "-k", "/data");
        return long.Parse(df.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<string> ExecAsync(CriConnection cri, string containerId, params string[] cmd)
    {
        ExecSyncResponse r = await cri.Runtime.ExecSyncAsync(containerId, cmd, TimeSpan.FromSeconds(10), CancellationToken.None);
        return r.Stdout.ToStringUtf8() + r.Stderr.ToStringUtf8();
    }
}
