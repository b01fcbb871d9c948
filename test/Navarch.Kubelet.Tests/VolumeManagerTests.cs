using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Navarch.Client.Events;
using Navarch.Client.Informers;
using Navarch.Kubelet.Cache;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Pods;
using Navarch.Kubelet.Volumes;
using Navarch.Testing;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// The volume manager against a real in-process API server (ConfigMaps through the kubelet's informer cache), without
/// containers: set-up, CRI mounts (read-only API-data volumes, propagation, subPath), FailedMount, the refresh
/// interval on a fake clock, tear-down.
/// </summary>
[Trait("Category", "Integration")]
public sealed class VolumeManagerTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("nv-volman-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 20, 0, 0, TimeSpan.Zero));
    private readonly CancellationTokenSource _stop = new();
    private ApiServerHost _api = null!;
    private SharedInformerFactory _informers = null!;
    private PodObjectCache _objects = null!;
    private EventRecorder _events = null!;
    private VolumeManager _volumes = null!;

    public async Task InitializeAsync()
    {
        _api = await ApiServerHost.StartAsync();
        _events = new EventRecorder(_api.Client, "kubelet", "test");
        _informers = new SharedInformerFactory(_api.Client);
        _objects = new PodObjectCache(_api.Client, _informers);
        _informers.Start(_stop.Token);
        await _informers.WaitForCacheSyncAsync(CancellationToken.None);
        _volumes = new VolumeManager(_api.Client, _objects, new KubeletOptions { DataDir = _dir.FullName, NodeName = "n" }, _events, _time, NullLogger.Instance);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _informers.StoppedAsync();
        await _objects.DisposeAsync();
        _stop.Dispose();
        await _events.DisposeAsync();
        await _api.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    private V1Pod Pod(string name, params V1Volume[] volumes) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Uid = Guid.NewGuid().ToString() },
        Spec = new V1PodSpec { Volumes = volumes, Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
    };

    [Fact]
    public async Task Volumes_are_set_up_mounted_refreshed_on_schedule_and_torn_down()
    {
        await _api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cfg" }, Data = new Dictionary<string, string> { ["k"] = "v1" } }, "default");
        string host = Path.Combine(_dir.FullName, "host");
        V1Pod pod = Pod(
            "p",
            new V1Volume { Name = "scratch", EmptyDir = new V1EmptyDirVolumeSource() },
            new V1Volume { Name = "host", HostPath = new V1HostPathVolumeSource { Path = host, Type = "DirectoryOrCreate" } },
            new V1Volume { Name = "cfg", ConfigMap = new V1ConfigMapVolumeSource { Name = "cfg" } });
        _objects.RegisterPod(pod);
        await _objects.WaitForPodAsync(pod, CancellationToken.None);
        Assert.NotNull(_objects.ConfigMap("default", "cfg"));
        V1Container c = pod.Spec.Containers[0];
        c.VolumeMounts =
        [
            new V1VolumeMount { Name = "scratch", MountPath = "/logs", SubPathExpr = "$(POD)/logs", MountPropagation = "HostToContainer" },
            new V1VolumeMount { Name = "host", MountPath = "/host", ReadOnlyProperty = true, MountPropagation = "Bidirectional" },
            new V1VolumeMount { Name = "cfg", MountPath = "/cfg" },
        ];

        Assert.True(await _volumes.SetUpAsync(pod, CancellationToken.None));
        string uid = pod.Metadata.Uid;
        string scratch = _volumes.VolumeDir(uid, "empty-dir", "scratch");
        string cfg = _volumes.VolumeDir(uid, "configmap", "cfg");
        Assert.Equal(Path.Combine(_dir.FullName, "agent", "pods", uid, "volumes", "kubernetes.io~empty-dir", "scratch"), scratch);
        Assert.True(Directory.Exists(host));
        Assert.Equal("v1", File.ReadAllText(Path.Combine(cfg, "k")));

        List<Mount> mounts = _volumes.Mounts(pod, c, new Dictionary<string, string> { ["POD"] = "p" });
        Assert.Equal(
            [
                (Path.Combine(scratch, "p/logs"), "/logs", false, MountPropagation.PropagationHostToContainer),
                (host, "/host", true, MountPropagation.PropagationBidirectional),
                (cfg, "/cfg", true, MountPropagation.PropagationPrivate),
            ],
            mounts.Select(m => (m.HostPath, m.ContainerPath, m.Readonly, m.Propagation)));
        Assert.True(Directory.Exists(Path.Combine(scratch, "p", "logs")));

        c.VolumeMounts[0].SubPathExpr = "../escape";
        Assert.Throws<ContainerConfigException>(() => _volumes.Mounts(pod, c, new Dictionary<string, string>()));

        // An update shows only once the refresh interval has passed.
        V1ConfigMap cm = await _api.Client.CoreV1.ReadNamespacedConfigMapAsync("cfg", "default");
        cm.Data["k"] = "v2";
        await _api.Client.CoreV1.ReplaceNamespacedConfigMapAsync(cm, "cfg", "default");
        await KubeletNode.WaitAsync(() => Task.FromResult(_objects.ConfigMap("default", "cfg") is { } cached && cached.Data["k"] == "v2" ? cached : null), "the update in the cache");
        Assert.True(await _volumes.SetUpAsync(pod, CancellationToken.None));
        Assert.Equal("v1", File.ReadAllText(Path.Combine(cfg, "k")));
        _time.Advance(_volumes.RefreshInterval);
        Assert.True(await _volumes.SetUpAsync(pod, CancellationToken.None));
        Assert.Equal("v2", File.ReadAllText(Path.Combine(cfg, "k")));

        await _volumes.TearDownAsync(uid, CancellationToken.None);
        Assert.False(Directory.Exists(_volumes.PodDir(uid)));
        Assert.True(Directory.Exists(host));
    }

    [Fact]
    public async Task A_missing_ConfigMap_is_a_FailedMount_unless_optional()
    {
        V1Pod pod = Pod("missing", new V1Volume { Name = "cfg", ConfigMap = new V1ConfigMapVolumeSource { Name = "nope" } });
        pod = await _api.Client.CoreV1.CreateNamespacedPodAsync(pod, "default");
        Assert.False(await _volumes.SetUpAsync(pod, CancellationToken.None));
        Corev1Event e = await KubeletNode.WaitAsync(async () => (await _api.Client.CoreV1.ListNamespacedEventAsync("default")).Items.FirstOrDefault(e => e.Reason == "FailedMount"), "FailedMount");
        Assert.Equal("MountVolume.SetUp failed for volume \"cfg\" : configmap \"nope\" not found", e.Message);
        Assert.Equal("Warning", e.Type);

        V1Pod optional = Pod("optional", new V1Volume { Name = "cfg", ConfigMap = new V1ConfigMapVolumeSource { Name = "nope", Optional = true } });
        Assert.True(await _volumes.SetUpAsync(optional, CancellationToken.None));
        Assert.All(Directory.EnumerateFileSystemEntries(_volumes.VolumeDir(optional.Metadata.Uid, "configmap", "cfg")), f => Assert.StartsWith("..", Path.GetFileName(f), StringComparison.Ordinal));
        await _volumes.TearDownAsync(optional.Metadata.Uid, CancellationToken.None);
        await _volumes.TearDownAsync(pod.Metadata.Uid, CancellationToken.None);
    }
}
