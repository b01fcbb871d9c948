using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Navarch.Client.Events;
using Navarch.Client.Informers;
using Navarch.Kubelet.Cache;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Images;
using Navarch.Kubelet.Pods;
using Navarch.Kubelet.Probes;
using Navarch.Kubelet.Status;
using Navarch.Kubelet.Volumes;
using Navarch.Testing;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// The pod worker's state machine on a fake runtime and a fake clock, one sync at a time, without containerd or root:
/// init container order, restart back-off, image pull back-off, termination within the grace period, status written
/// only on change, and the runtime asked once per fact in a sync. Status, events and ConfigMaps go through a real
/// in-process API server.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PodWorkerTests : IAsyncLifetime
{
    private const string Busybox = "busybox:1.35";

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("nv-podworker-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeImageService _images = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly FakeRuntimeService _runtime;
    private ApiServerHost _api = null!;
    private SharedInformerFactory _informers = null!;
    private PodObjectCache _objects = null!;
    private EventRecorder _events = null!;
    private PodWorkerDependencies _deps = null!;

    public PodWorkerTests()
    {
        _runtime = new FakeRuntimeService(_time);
        _images.Add(Busybox);
    }

    private Kubernetes Client => _api.Client;

    public async Task InitializeAsync()
    {
        _api = await ApiServerHost.StartAsync();
        _informers = new SharedInformerFactory(_api.Client);
        _objects = new PodObjectCache(_api.Client, _informers);
        _informers.Start(_stop.Token);
        await _informers.WaitForCacheSyncAsync(CancellationToken.None);

        // Events go out on the real clock: only the worker's clock is the test's.
        _events = new EventRecorder(_api.Client, "kubelet", "n");
        var options = new KubeletOptions { DataDir = _dir.FullName, NodeName = "n", NodeIp = "192.0.2.10" };
        var volumes = new VolumeManager(_api.Client, _objects, options, _events, _time, NullLogger.Instance);
        var prober = new Prober(_runtime, _time);
        _deps = new PodWorkerDependencies(
            _runtime,
            new ImageManager(_images, _api.Client, _events, _time),
            new StatusManager(_api.Client, NullLogger.Instance),
            new ProbeManager(prober, _events, _time),
            prober,
            volumes,
            new ContainerConfigBuilder(new ContainerEnvironment(_objects, _events, options.InternalIp), volumes, options, _events, _time),
            options,
            _events,
            _time,
            _objects);
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

    private async Task<PodWorker> StartAsync(V1PodSpec spec, string name = "p")
    {
        spec.NodeName = "n";
        V1Pod pod = await Client.CoreV1.CreateNamespacedPodAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = name }, Spec = spec }, "default");
        return new PodWorker(pod, _deps, NullLogger.Instance);
    }

    private static V1Container Container(string name, string image = Busybox) => new() { Name = name, Image = image };

    private async Task<V1PodStatus> StatusAsync(string name = "p") => (await Client.CoreV1.ReadNamespacedPodAsync(name, "default")).Status;

    [Fact]
    [Trait("Category", "Integration")]
    public async Task An_exception_in_a_sync_is_a_FailedSync_event_and_the_worker_syncs_again()
    {
        PodWorker worker = await StartAsync(new V1PodSpec { Containers = [Container("main")] }, "poison");
        _runtime.Fault = method => method == "RunPodSandbox" ? new InvalidOperationException("Value was either too large or too small for a Decimal.") : null;
        Task run = worker.RunAsync(_stop.Token);
        for (int i = 0; i < 250 && !(await Client.CoreV1.ListNamespacedEventAsync("default")).Items.Any(e => e.Reason == "FailedSync"); i++)
        {
            await Task.Delay(20);
        }

        Assert.Contains((await Client.CoreV1.ListNamespacedEventAsync("default")).Items, e => e.Reason == "FailedSync" && e.Message.Contains("too large", StringComparison.Ordinal));
        Assert.False(run.IsCompleted);

        // The fault is gone: the next resync starts the pod.
        _runtime.Fault = null;
        for (int i = 0; i < 250 && !_runtime.Created.Contains("main"); i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }

        Assert.Contains("main", _runtime.Created);
    }

    [Fact]
    public async Task Init_containers_run_one_at_a_time_in_order_before_the_app_containers()
    {
        PodWorker worker = await StartAsync(new V1PodSpec { InitContainers = [Container("init1"), Container("init2")], Containers = [Container("main")] });

        Assert.False(await worker.SyncAsync(CancellationToken.None));
        Assert.Equal(["init1"], _runtime.Created);
        V1PodStatus status = await StatusAsync();
        Assert.Equal("Pending", status.Phase);
        Assert.Equal("containers with incomplete status: [init2]", status.Conditions.Single(c => c.Type == "Initialized").Message);
        Assert.Equal("PodInitializing", status.ContainerStatuses.Single().State.Waiting.Reason);

        // A running init container holds the next one back.
        await worker.SyncAsync(CancellationToken.None);
        Assert.Equal(["init1"], _runtime.Created);

        _runtime.Exit("init1", 0);
        await worker.SyncAsync(CancellationToken.None);
        Assert.Equal(["init1", "init2"], _runtime.Created);

        _runtime.Exit("init2", 0);
        await worker.SyncAsync(CancellationToken.None);
        Assert.Equal(["init1", "init2", "main"], _runtime.Created);
        status = await StatusAsync();
        Assert.Equal("Running", status.Phase);
        Assert.Equal("True", status.Conditions.Single(c => c.Type == "Initialized").Status);
        Assert.Equal("True", status.Conditions.Single(c => c.Type == "Ready").Status);
        Assert.All(status.InitContainerStatuses, s => Assert.Equal("Completed", s.State.Terminated.Reason));
        Assert.NotNull(status.ContainerStatuses.Single().State.Running);
        Assert.Equal("10.88.0.1", status.PodIP);
        Assert.Equal("192.0.2.10", status.HostIP);
    }

    [Fact]
    public async Task A_crashing_container_restarts_at_once_then_after_a_doubling_back_off_keeping_one_dead_container()
    {
        _runtime.ExitOnStart("main", 1);
        PodWorker worker = await StartAsync(new V1PodSpec { Containers = [Container("main")] });

        await worker.SyncAsync(CancellationToken.None);
        await worker.SyncAsync(CancellationToken.None);
        Assert.Equal(["main", "main"], _runtime.Created);

        await worker.SyncAsync(CancellationToken.None);
        V1ContainerStatus main = (await StatusAsync()).ContainerStatuses.Single();
        Assert.Equal("CrashLoopBackOff", main.State.Waiting.Reason);
        Assert.StartsWith("back-off 10s restarting failed container=main pod=p_default(", main.State.Waiting.Message, StringComparison.Ordinal);
        Assert.Equal(1, main.RestartCount);
        Assert.Equal(1, main.LastState.Terminated.ExitCode);
        Assert.Equal(2, _runtime.Created.Count);

        _time.Advance(TimeSpan.FromSeconds(10));
        await worker.SyncAsync(CancellationToken.None);
        Assert.Equal(3, _runtime.Created.Count);
        Assert.Equal([1u, 2u], _runtime.Containers("main").Select(c => c.Status.Metadata.Attempt));

        await worker.SyncAsync(CancellationToken.None);
        main = (await StatusAsync()).ContainerStatuses.Single();
        Assert.StartsWith("back-off 20s restarting failed container=main", main.State.Waiting.Message, StringComparison.Ordinal);
        Assert.Equal(2, main.RestartCount);
        await KubeletNode.WaitAsync(async () => (await Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=p,reason=BackOff")).Items.FirstOrDefault(), "the BackOff event");
    }

    [Fact]
    public async Task A_refused_pull_is_ErrImagePull_then_ImagePullBackOff_and_is_retried_after_the_back_off()
    {
        const string Image = "registry.example/team/app:1";
        _images.FailPulls(Image, "failed to authorize: 401 Unauthorized");
        PodWorker worker = await StartAsync(new V1PodSpec { Containers = [Container("main", Image)] });

        await worker.SyncAsync(CancellationToken.None);
        V1ContainerStateWaiting waiting = (await StatusAsync()).ContainerStatuses.Single().State.Waiting;
        Assert.Equal(("ErrImagePull", "failed to authorize: 401 Unauthorized"), (waiting.Reason, waiting.Message));
        Assert.Single(_images.Pulls);

        _time.Advance(TimeSpan.FromSeconds(5));
        await worker.SyncAsync(CancellationToken.None);
        Assert.Equal("ErrImagePull", (await StatusAsync()).ContainerStatuses.Single().State.Waiting.Reason);
        Assert.Single(_images.Pulls);

        _time.Advance(TimeSpan.FromSeconds(5));
        await worker.SyncAsync(CancellationToken.None);
        Assert.Equal(2, _images.Pulls.Count);

        _time.Advance(TimeSpan.FromSeconds(11));
        await worker.SyncAsync(CancellationToken.None);
        waiting = (await StatusAsync()).ContainerStatuses.Single().State.Waiting;
        Assert.Equal(("ImagePullBackOff", $"Back-off pulling image \"{Image}\""), (waiting.Reason, waiting.Message));
        Assert.Equal(2, _images.Pulls.Count);

        _images.FailPulls(Image, null);
        _time.Advance(TimeSpan.FromSeconds(9));
        await worker.SyncAsync(CancellationToken.None);
        V1ContainerStatus running = (await StatusAsync()).ContainerStatuses.Single();
        Assert.NotNull(running.State.Running);
        Assert.Equal(3, _images.Pulls.Count);
        Assert.StartsWith("sha256:", running.ImageID, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deletion_stops_app_containers_then_sidecars_within_the_grace_period_and_removes_sandbox_and_pod()
    {
        V1Container sidecar = Container("proxy");
        sidecar.RestartPolicy = "Always";
        PodWorker worker = await StartAsync(new V1PodSpec { InitContainers = [sidecar], Containers = [Container("main")], TerminationGracePeriodSeconds = 30 });
        await worker.SyncAsync(CancellationToken.None);
        Assert.Equal(["proxy", "main"], _runtime.Created);

        await Client.CoreV1.DeleteNamespacedPodAsync("p", "default", new V1DeleteOptions { GracePeriodSeconds = 20 });
        V1Pod deleting = await Client.CoreV1.ReadNamespacedPodAsync("p", "default");
        Assert.NotNull(deleting.Metadata.DeletionTimestamp);
        worker.Update(deleting);

        Assert.True(await worker.SyncAsync(CancellationToken.None));
        Assert.Equal([("main", 20L), ("proxy", 20L)], _runtime.Stopped);
        Assert.Empty(_runtime.Sandboxes());
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CoreV1.ReadNamespacedPodAsync("p", "default"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    [Fact]
    public async Task An_ephemeral_container_starts_once_in_the_target_PID_namespace_and_reports_its_exit()
    {
        PodWorker worker = await StartAsync(new V1PodSpec { Containers = [Container("main")] });
        await worker.SyncAsync(CancellationToken.None);
        V1Pod pod = await Client.CoreV1.PatchNamespacedPodEphemeralcontainersAsync(
            new V1Patch("""{"spec":{"ephemeralContainers":[{"name":"debugger","image":"busybox:1.35","targetContainerName":"main"}]}}""", V1Patch.PatchType.StrategicMergePatch), "p", "default");
        _runtime.ExitOnStart("debugger", 3);
        worker.Update(pod);

        await worker.SyncAsync(CancellationToken.None);
        (ContainerStatus debugger, ContainerConfig config) = _runtime.Containers("debugger").Single();
        Assert.Equal(NamespaceMode.Target, config.Linux.SecurityContext.NamespaceOptions.Pid);
        Assert.Equal(_runtime.Containers("main").Single().Status.Id, config.Linux.SecurityContext.NamespaceOptions.TargetId);

        // Exited, it is never started again; the pod's phase and readiness are its app containers' alone.
        _time.Advance(TimeSpan.FromSeconds(30));
        await worker.SyncAsync(CancellationToken.None);
        Assert.Equal(["main", "debugger"], _runtime.Created);
        V1PodStatus status = await StatusAsync();
        V1ContainerStatus reported = status.EphemeralContainerStatuses.Single();
        Assert.Equal(("debugger", 3, "containerd://" + debugger.Id), (reported.Name, reported.State.Terminated.ExitCode, reported.ContainerID));
        Assert.Equal("Running", status.Phase);
        Assert.Equal("True", status.Conditions.Single(c => c.Type == "Ready").Status);
    }

    [Fact]
    public async Task A_steady_sync_asks_the_runtime_once_per_fact_and_writes_no_status()
    {
        V1Container main = Container("main");
        main.Env = [new V1EnvVar { Name = "POD_IP", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "status.podIP" } } }];
        PodWorker worker = await StartAsync(new V1PodSpec { Containers = [main] });

        await worker.SyncAsync(CancellationToken.None);
        Assert.Equal(1, _runtime.CallCount("PodSandboxStatus"));
        Assert.Contains(_runtime.Containers("main").Single().Config.Envs, e => e.Key == "POD_IP" && e.Value == "10.88.0.1");

        // The container exits and is restarted at once: the exited one is read once, then kept.
        _runtime.Exit("main", 0);
        await worker.SyncAsync(CancellationToken.None);
        string written = (await Client.CoreV1.ReadNamespacedPodAsync("p", "default")).Metadata.ResourceVersion;

        _runtime.ClearCalls();
        await worker.SyncAsync(CancellationToken.None);
        Assert.Equal(["ListPodSandbox", "PodSandboxStatus", "ListContainers", "ContainerStatus"], _runtime.Calls);
        Assert.Equal(written, (await Client.CoreV1.ReadNamespacedPodAsync("p", "default")).Metadata.ResourceVersion);
    }

    [Fact]
    public async Task A_ConfigMap_missing_is_CreateContainerConfigError_until_its_watch_brings_it()
    {
        V1Container main = Container("main");
        main.Env = [new V1EnvVar { Name = "GREETING", ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "cfg", Key = "greeting" } } }];
        PodWorker worker = await StartAsync(new V1PodSpec { Containers = [main] });

        await worker.SyncAsync(CancellationToken.None);
        V1ContainerStateWaiting waiting = (await StatusAsync()).ContainerStatuses.Single().State.Waiting;
        Assert.Equal(("CreateContainerConfigError", "couldn't get configMap default/cfg: configmap \"cfg\" not found"), (waiting.Reason, waiting.Message));
        Assert.Empty(_runtime.Created);

        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cfg" }, Data = new Dictionary<string, string> { ["greeting"] = "hello" } }, "default");
        // The worker registered its pod: that one ConfigMap is watched, by name, and nothing else.
        Assert.Equal(1, _objects.Watched);
        await KubeletNode.WaitAsync(() => Task.FromResult(_objects.ConfigMap("default", "cfg")), "the ConfigMap in the cache");
        await worker.SyncAsync(CancellationToken.None);
        Assert.Contains(_runtime.Containers("main").Single().Config.Envs, e => e.Key == "GREETING" && e.Value == "hello");
        Assert.NotNull((await StatusAsync()).ContainerStatuses.Single().State.Running);
    }
}
