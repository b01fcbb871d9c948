using System.Net;
using System.Text;
using k8s;
using k8s.Models;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Runtime;
using Navarch.Kubelet.Volumes;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// Pod volumes, container environment and container config against a real API server and containerd: env from
/// values, fields, resources, ConfigMaps, Secrets and Services; configMap, secret, downwardAPI, emptyDir and hostPath
/// volumes (with a ConfigMap update reaching the file); runAsUser; CreateContainerConfigError; FailedMount;
/// OOMKilled; and no mount left once the pod is gone.
/// </summary>
[Trait("Category", "Node")]
public sealed class VolumeEnvEndToEndTests(ITestOutputHelper output)
{

    private static async Task<string> ExecAsync(CriConnection cri, string containerId, params string[] cmd)
    {
        ExecSyncResponse r = await cri.Runtime.ExecSyncAsync(containerId, cmd, TimeSpan.FromSeconds(10), CancellationToken.None);
        return r.Stdout.ToStringUtf8() + r.Stderr.ToStringUtf8();
    }

    private static string Id(V1ContainerStatus s) => s.ContainerID["containerd://".Length..];

    [Fact]
    public async Task Env_and_volumes_reach_the_containers_and_updates_follow()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        Kubernetes client = node.Client;
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "cfg" },
            Data = new Dictionary<string, string> { ["a"] = "one", ["b"] = "two", ["1bad"] = "skipped" },
        }, "default");
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "sec" },
            Data = new Dictionary<string, byte[]> { ["password"] = Encoding.UTF8.GetBytes("s3cret") },
        }, "default");
        V1Service svc = await client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "my-db" },
            Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Name = "sql", Port = 5432 }], Selector = new Dictionary<string, string> { ["app"] = "db" } },
        }, "default");
        // The pod's account, so the projected serviceAccountToken can be requested for it.
        await client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "default" } }, "default");
        string hostDir = Path.Combine(node.Options.DataDir, "host-share");

        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "env", NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["app"] = "demo" } },
            Spec = new V1PodSpec
            {
                NodeName = node.Options.NodeName,
                TerminationGracePeriodSeconds = 1,
                Volumes =
                [
                    new V1Volume { Name = "cfg", ConfigMap = new V1ConfigMapVolumeSource { Name = "cfg", Items = [new V1KeyToPath { Key = "a", Path = "a.txt" }] } },
                    new V1Volume { Name = "sec", Secret = new V1SecretVolumeSource { SecretName = "sec", DefaultMode = Convert.ToInt32("400", 8) } },
                    new V1Volume { Name = "down", DownwardAPI = new V1DownwardAPIVolumeSource { Items = [new V1DownwardAPIVolumeFile { Path = "labels", FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.labels" } }] } },
                    new V1Volume { Name = "shared", EmptyDir = new V1EmptyDirVolumeSource() },
                    new V1Volume { Name = "mem", EmptyDir = new V1EmptyDirVolumeSource { Medium = "Memory", SizeLimit = new ResourceQuantity("8Mi") } },
                    new V1Volume { Name = "host", HostPath = new V1HostPathVolumeSource { Path = hostDir, Type = "DirectoryOrCreate" } },
                    new V1Volume
                    {
                        Name = "all",
                        Projected = new V1ProjectedVolumeSource
                        {
                            Sources =
                            [
                                new V1VolumeProjection { ConfigMap = new V1ConfigMapProjection { Name = "cfg", Items = [new V1KeyToPath { Key = "b", Path = "cfg/b" }] } },
                                new V1VolumeProjection { Secret = new V1SecretProjection { Name = "sec" } },
                                new V1VolumeProjection { DownwardAPI = new V1DownwardAPIProjection { Items = [new V1DownwardAPIVolumeFile { Path = "ns", FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.namespace" } }] } },
                                new V1VolumeProjection { ServiceAccountToken = new V1ServiceAccountTokenProjection { Path = "token", ExpirationSeconds = 3600 } },
                            ],
                        },
                    },
                ],
                SecurityContext = new V1PodSecurityContext { FsGroup = 2000 },
                Containers =
                [
                    new V1Container
                    {
                        Name = "main",
                        Image = "busybox:1.35",
                        Command = ["sh", "-c", "env; echo CMD=$(LIT); sleep 3600"],
                        Resources = new V1ResourceRequirements
                        {
                            Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("64Mi"), ["cpu"] = new("500m") },
                            Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("250m"), ["memory"] = new("32Mi") },
                        },
                        EnvFrom = [new V1EnvFromSource { Prefix = "CFG_", ConfigMapRef = new V1ConfigMapEnvSource { Name = "cfg" } }, new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = "cfg" } }],
                        Env =
                        [
                            new V1EnvVar { Name = "LIT", Value = "literal" },
                            new V1EnvVar { Name = "EXP", Value = "$(LIT)-$(CFG_a)" },
                            new V1EnvVar { Name = "ESC", Value = "$$(LIT)" },
                            new V1EnvVar { Name = "UNK", Value = "$(NOPE)" },
                            new V1EnvVar { Name = "POD_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } } },
                            new V1EnvVar { Name = "POD_UID", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.uid" } } },
                            new V1EnvVar { Name = "APP", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.labels['app']" } } },
                            new V1EnvVar { Name = "NODE", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "spec.nodeName" } } },
                            new V1EnvVar { Name = "POD_IP", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "status.podIP" } } },
                            new V1EnvVar { Name = "MEM_MI", ValueFrom = new V1EnvVarSource { ResourceFieldRef = new V1ResourceFieldSelector { Resource = "limits.memory", Divisor = new ResourceQuantity("1Mi") } } },
                            new V1EnvVar { Name = "CPU_M", ValueFrom = new V1EnvVarSource { ResourceFieldRef = new V1ResourceFieldSelector { Resource = "requests.cpu", Divisor = new ResourceQuantity("1m") } } },
                            new V1EnvVar { Name = "FROM_CM", ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "cfg", Key = "b" } } },
                            new V1EnvVar { Name = "FROM_SECRET", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "sec", Key = "password" } } },
                            new V1EnvVar { Name = "OPTIONAL", ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "cfg", Key = "absent", Optional = true } } },
                        ],
                        VolumeMounts =
                        [
                            new V1VolumeMount { Name = "cfg", MountPath = "/etc/cfg" },
                            new V1VolumeMount { Name = "sec", MountPath = "/etc/sec" },
                            new V1VolumeMount { Name = "down", MountPath = "/etc/down" },
                            new V1VolumeMount { Name = "shared", MountPath = "/shared" },
                            new V1VolumeMount { Name = "mem", MountPath = "/mem" },
                            new V1VolumeMount { Name = "host", MountPath = "/host" },
                            new V1VolumeMount { Name = "all", MountPath = "/etc/all" },
                            new V1VolumeMount { Name = "cfg", MountPath = "/etc/single/b.txt", SubPath = "a.txt" },
                        ],
                    },
                    new V1Container
                    {
                        Name = "writer",
                        Image = "busybox:1.35",
                        Command = ["sh", "-c", "busybox id -u > /shared/uid; busybox id -G > /shared/groups; echo from-writer > /shared/x; sleep 3600"],
                        SecurityContext = new V1SecurityContext { RunAsUser = 1234, RunAsGroup = 1234, ReadOnlyRootFilesystem = true },
                        VolumeMounts = [new V1VolumeMount { Name = "shared", MountPath = "/shared" }],
                    },
                ],
            },
        };
        V1Pod created = await client.CoreV1.CreateNamespacedPodAsync(pod, "default");
        V1Pod running = await TestPods.WaitAsync(client, "env", p => p.Status?.ContainerStatuses?.Count == 2 && p.Status.ContainerStatuses.All(c => c.State?.Running is not null), "both containers running", 90);
        Assert.Equal("Burstable", running.Status.QosClass);

        string log = Path.Combine(node.Options.PodLogsDir, $"default_env_{created.Metadata.Uid}", "main", "0.log");
        string text = await KubeletNode.WaitAsync(() => Task.FromResult(File.Exists(log) && File.ReadAllText(log).Contains("CMD=", StringComparison.Ordinal) ? File.ReadAllText(log) : null), "the env in the log");
        Dictionary<string, string> env = text.Split('\n')
            .Select(l => l.Split(' ', 4) is { Length: 4 } f ? f[3] : "")
            .Where(l => l.Contains('=', StringComparison.Ordinal))
            .Select(l => l.Split('=', 2))
            .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.Last()[1]);
        Assert.Equal("literal", env["LIT"]);
        Assert.Equal("literal-one", env["EXP"]);
        Assert.Equal("$(LIT)", env["ESC"]);
        Assert.Equal("$(NOPE)", env["UNK"]);
        Assert.Equal("literal", env["CMD"]);
        Assert.Equal("env", env["POD_NAME"]);
        Assert.Equal(created.Metadata.Uid, env["POD_UID"]);
        Assert.Equal("demo", env["APP"]);
        Assert.Equal(node.Options.NodeName, env["NODE"]);
        Assert.Equal(running.Status.PodIP, env["POD_IP"]);
        Assert.Equal("64", env["MEM_MI"]);
        Assert.Equal("250", env["CPU_M"]);
        Assert.Equal("two", env["FROM_CM"]);
        Assert.Equal("s3cret", env["FROM_SECRET"]);
        Assert.Equal("one", env["CFG_a"]);
        Assert.Equal("two", env["CFG_b"]);
        Assert.Equal("skipped", env["CFG_1bad"]);
        Assert.Equal("one", env["a"]);
        Assert.False(env.ContainsKey("1bad"));
        Assert.False(env.ContainsKey("OPTIONAL"));
        Assert.Equal(svc.Spec.ClusterIP, env["MY_DB_SERVICE_HOST"]);
        Assert.Equal("5432", env["MY_DB_SERVICE_PORT"]);
        Assert.Equal("5432", env["MY_DB_SERVICE_PORT_SQL"]);
        Assert.Equal($"tcp://{svc.Spec.ClusterIP}:5432", env["MY_DB_PORT_5432_TCP"]);

        using var cri = new CriConnection(node.Socket);
        string main = Id(running.Status.ContainerStatuses.Single(c => c.Name == "main"));
        Assert.Equal("one", await ExecAsync(cri, main, "cat", "/etc/cfg/a.txt"));
        Assert.Equal("s3cret", await ExecAsync(cri, main, "cat", "/etc/sec/password"));
        Assert.Equal("app=\"demo\"", await ExecAsync(cri, main, "cat", "/etc/down/labels"));
        Assert.Equal("from-writer\n", await KubeletNode.WaitAsync(async () => await ExecAsync(cri, main, "cat", "/shared/x") is { Length: > 0 } s && !s.Contains("No such", StringComparison.Ordinal) ? s : null, "the writer's file in the shared emptyDir"));
        Assert.Equal("1234\n", await ExecAsync(cri, main, "cat", "/shared/uid"));
        Assert.Contains("2000", (await ExecAsync(cri, main, "cat", "/shared/groups")).Split(' ', '\n'));
        string writer = Id(running.Status.ContainerStatuses.Single(c => c.Name == "writer"));
        Assert.Contains("Read-only file system", await ExecAsync(cri, writer, "sh", "-c", "echo x > /tmp/x"), StringComparison.Ordinal);
        Assert.Equal("two", await ExecAsync(cri, main, "cat", "/etc/all/cfg/b"));
        Assert.Equal("s3cret", await ExecAsync(cri, main, "cat", "/etc/all/password"));
        Assert.Equal("default", await ExecAsync(cri, main, "cat", "/etc/all/ns"));
        // The projected token is a pod-bound service account token the API server accepts.
        string token = await ExecAsync(cri, main, "cat", "/etc/all/token");
        using (HttpClient http = node.Api.NewHttp(withClientCertificate: false))
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using HttpResponseMessage listed = await http.GetAsync("/api/v1/namespaces/default/pods");
            Assert.Equal(System.Net.HttpStatusCode.OK, listed.StatusCode);
        }

        Assert.Equal("one", await ExecAsync(cri, main, "cat", "/etc/single/b.txt"));
        await ExecAsync(cri, main, "sh", "-c", "echo on-host > /host/file");
        Assert.Equal("on-host\n", File.ReadAllText(Path.Combine(hostDir, "file")));
        // The resources as cgroup (v1 here) settings: shares from the request, quota from the limit, the memory limit.
        Assert.Equal("256", (await ExecAsync(cri, main, "cat", "/sys/fs/cgroup/cpu/cpu.shares")).Trim());
        Assert.Equal("50000", (await ExecAsync(cri, main, "cat", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us")).Trim());
        Assert.Equal("67108864", (await ExecAsync(cri, main, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes")).Trim());
        string memMount = (await ExecAsync(cri, main, "cat", "/proc/mounts")).Split('\n').Single(l => l.StartsWith("tmpfs /mem ", StringComparison.Ordinal));
        Assert.Contains("size=8192k", memMount, StringComparison.Ordinal);
        Assert.Contains("Read-only file system", await ExecAsync(cri, main, "sh", "-c", "echo x > /etc/cfg/new"), StringComparison.Ordinal);

        // The kubelet's layout; secrets live in a tmpfs.
        string volumes = Path.Combine(node.Options.AgentDir, "pods", created.Metadata.Uid, "volumes");
        string secretDir = Path.Combine(volumes, "kubernetes.io~secret", "sec");
        Assert.True(MountTable.IsMountPoint(secretDir));
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(Path.Combine(secretDir, AtomicWriter.DataDirName, "password")));
        Assert.Equal(Path.Combine(AtomicWriter.DataDirName, "a.txt"), new FileInfo(Path.Combine(volumes, "kubernetes.io~configmap", "cfg", "a.txt")).LinkTarget);

        // Updates reach the mounted files: the ConfigMap by the periodic refresh, then the labels by the pod update.
        V1ConfigMap cm = await client.CoreV1.ReadNamespacedConfigMapAsync("cfg", "default");
        cm.Data["a"] = "changed";
        await client.CoreV1.ReplaceNamespacedConfigMapAsync(cm, "cfg", "default");
        await KubeletNode.WaitAsync(async () => await ExecAsync(cri, main, "cat", "/etc/cfg/a.txt") == "changed" ? "ok" : null, "the ConfigMap update in the mounted file", 45);
        await client.CoreV1.PatchNamespacedPodAsync(new V1Patch("{\"metadata\":{\"labels\":{\"tier\":\"web\"}}}", V1Patch.PatchType.MergePatch), "env", "default");
        await KubeletNode.WaitAsync(async () => await ExecAsync(cri, main, "cat", "/etc/down/labels") == "app=\"demo\"\ntier=\"web\"" ? "ok" : null, "the new label in the downwardAPI file", 30);

        await TestPods.DeleteAndWaitGoneAsync(client, "env");
        string podDir = Path.Combine(node.Options.AgentDir, "pods", created.Metadata.Uid);
        Assert.Empty(MountTable.MountsUnder(podDir));
        Assert.False(Directory.Exists(podDir));
    }

    [Fact]
    public async Task Config_errors_and_failed_mounts_keep_pods_waiting_and_OOM_is_reported()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        Kubernetes client = node.Client;
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "partial" }, Data = new Dictionary<string, string> { ["x"] = "1" } }, "default");
        V1Pod Pod(string name, V1Container container, IList<V1Volume>? volumes = null) => new()
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
            Spec = new V1PodSpec { NodeName = node.Options.NodeName, RestartPolicy = "Never", TerminationGracePeriodSeconds = 1, Containers = [container], Volumes = volumes },
        };

        await client.CoreV1.CreateNamespacedPodAsync(Pod("missing-key", new V1Container
        {
            Name = "c",
            Image = "busybox:1.35",
            Command = ["sleep", "3600"],
            Env = [new V1EnvVar { Name = "K", ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "partial", Key = "y" } } }],
        }), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("root", new V1Container
        {
            Name = "c",
            Image = "busybox:1.35",
            Command = ["sleep", "3600"],
            SecurityContext = new V1SecurityContext { RunAsNonRoot = true, RunAsUser = 0 },
        }), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("no-dir", new V1Container
        {
            Name = "c",
            Image = "busybox:1.35",
            Command = ["sleep", "3600"],
            VolumeMounts = [new V1VolumeMount { Name = "h", MountPath = "/h" }],
        }, [new V1Volume { Name = "h", HostPath = new V1HostPathVolumeSource { Path = Path.Combine(node.Options.DataDir, "absent"), Type = "Directory" } }]), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("oom", new V1Container
        {
            Name = "c",
            Image = "busybox:1.35",
            Command = ["sh", "-c", "busybox dd if=/dev/zero of=/dev/null bs=200M count=1"],
            Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("20Mi") } },
        }), "default");

        V1Pod missing = await TestPods.WaitAsync(client, "missing-key", p => p.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Waiting?.Reason == "CreateContainerConfigError", "CreateContainerConfigError");
        Assert.Equal("couldn't find key y in ConfigMap default/partial", missing.Status.ContainerStatuses[0].State.Waiting.Message);
        V1Pod root = await TestPods.WaitAsync(client, "root", p => p.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Waiting?.Reason == "CreateContainerConfigError", "runAsNonRoot refused");
        Assert.StartsWith("container's runAsUser breaks non-root policy", root.Status.ContainerStatuses[0].State.Waiting.Message, StringComparison.Ordinal);

        V1Pod oom = await TestPods.WaitAsync(client, "oom", p => p.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Terminated is not null, "the OOM pod terminated");
        V1ContainerStateTerminated terminated = oom.Status.ContainerStatuses[0].State.Terminated;
        Assert.Equal("OOMKilled", terminated.Reason);
        Assert.Equal(137, terminated.ExitCode);
        Assert.Equal("Failed", oom.Status.Phase);

        Corev1Event failedMount = await KubeletNode.WaitAsync(async () => (await client.CoreV1.ListNamespacedEventAsync("default")).Items.FirstOrDefault(e => e.InvolvedObject.Name == "no-dir" && e.Reason == "FailedMount"), "FailedMount event");
        Assert.Contains("hostPath type check failed", failedMount.Message, StringComparison.Ordinal);
        Assert.Contains("is not a directory", failedMount.Message, StringComparison.Ordinal);
        V1Pod noDir = await client.CoreV1.ReadNamespacedPodAsync("no-dir", "default");
        Assert.Equal("ContainerCreating", noDir.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Waiting?.Reason);

        // Fixing the causes lets both pods start.
        V1ConfigMap cm = await client.CoreV1.ReadNamespacedConfigMapAsync("partial", "default");
        cm.Data["y"] = "2";
        await client.CoreV1.ReplaceNamespacedConfigMapAsync(cm, "partial", "default");
        Directory.CreateDirectory(Path.Combine(node.Options.DataDir, "absent"));
        await TestPods.WaitAsync(client, "missing-key", p => p.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Running is not null, "running once the key exists");
        await TestPods.WaitAsync(client, "no-dir", p => p.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Running is not null, "running once the folder exists");

        foreach (string name in new[] { "missing-key", "root", "no-dir", "oom" })
        {
            await TestPods.DeleteAndWaitGoneAsync(client, name);
        }
    }
}
