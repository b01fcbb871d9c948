using System.Text;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Pods;
using Navarch.Kubelet.Probes;

namespace Navarch.Kubelet.Tests;

/// <summary>The pure parts of the pod lifecycle: probe thresholds and workers, restart back-off, status conditions and phase, termination messages.</summary>
[Trait("Category", "Unit")]
public sealed class LifecycleLogicTests
{
    private static readonly DateTime Now = new(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);

    public static TheoryData<string, int, int, string, string> Thresholds => new()
    {
        { "Readiness", 1, 3, "", "Failure" },
        { "Liveness", 1, 3, "", "Success" },
        { "Startup", 1, 3, "", "Unknown" },
        { "Readiness", 1, 3, "Success", "Success" },
        { "Readiness", 2, 3, "Success", "Failure" },
        { "Readiness", 2, 3, "Success,Success", "Success" },
        { "Readiness", 2, 3, "Success,Failure,Success", "Failure" },
        { "Liveness", 1, 3, "Failure,Failure", "Success" },
        { "Liveness", 1, 3, "Failure,Failure,Failure", "Failure" },
        { "Liveness", 1, 3, "Failure,Failure,Success,Failure", "Success" },
        { "Readiness", 1, 1, "Success,Failure", "Failure" },
    };

    [Theory]
    [MemberData(nameof(Thresholds))]
    public void Probe_results_flip_only_at_their_thresholds(string kind, int success, int failure, string runs, string expected)
    {
        var threshold = new ProbeThreshold(Enum.Parse<ProbeKind>(kind), success, failure);
        foreach (string run in runs.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            threshold.Record(Enum.Parse<ProbeResult>(run));
        }

        Assert.Equal(Enum.Parse<ProbeResult>(expected), threshold.Result);
    }

    [Fact]
    public void Probe_settings_take_the_API_defaults()
    {
        ProbeSettings s = ProbeSettings.Of(new V1Probe());
        Assert.Equal(new ProbeSettings(TimeSpan.Zero, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), 1, 3), s);
        Assert.Equal(TimeSpan.FromSeconds(2), ProbeSettings.Of(new V1Probe { PeriodSeconds = 2 }).Period);
    }

    private sealed class ScriptedProbe
    {
        public Queue<ProbeResult> Results { get; } = new();

        public int Runs { get; private set; }

        public List<string> Failures { get; } = [];

        public int Changes { get; private set; }

        public bool Started { get; set; } = true;

        public ProbeWorker Worker(ProbeKind kind, ProbeSettings settings, DateTimeOffset started, TimeProvider time) => new(
            kind,
            settings,
            started,
            _ =>
            {
                Runs++;
                ProbeResult r = Results.Count > 0 ? Results.Dequeue() : ProbeResult.Success;
                return Task.FromResult(new ProbeOutcome(r, r == ProbeResult.Failure ? "boom" : ""));
            },
            () => Started,
            o => Failures.Add(o.Output),
            () => Changes++,
            time);
    }

    [Fact]
    public async Task Probe_worker_waits_out_the_initial_delay_and_the_startup_probe()
    {
        var time = new FakeTimeProvider(Now);
        var probe = new ScriptedProbe { Started = false };
        ProbeWorker worker = probe.Worker(ProbeKind.Readiness, new ProbeSettings(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 1, 3), time.GetUtcNow(), time);

        await worker.ProbeOnceAsync(CancellationToken.None);
        Assert.Equal(0, probe.Runs);
        time.Advance(TimeSpan.FromSeconds(5));
        await worker.ProbeOnceAsync(CancellationToken.None);
        Assert.Equal(0, probe.Runs);
        Assert.Equal(ProbeResult.Failure, worker.Result);

        probe.Started = true;
        await worker.ProbeOnceAsync(CancellationToken.None);
        Assert.Equal(1, probe.Runs);
        Assert.Equal(ProbeResult.Success, worker.Result);
        Assert.Equal(1, probe.Changes);
    }

    [Fact]
    public async Task Liveness_failure_puts_the_worker_on_hold_and_startup_stops_after_success()
    {
        var time = new FakeTimeProvider(Now);
        var liveness = new ScriptedProbe();
        ProbeWorker live = liveness.Worker(ProbeKind.Liveness, new ProbeSettings(TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 1, 2), time.GetUtcNow(), time);
        liveness.Results.Enqueue(ProbeResult.Failure);
        liveness.Results.Enqueue(ProbeResult.Failure);
        await live.ProbeOnceAsync(CancellationToken.None);
        Assert.Equal(ProbeResult.Success, live.Result);
        await live.ProbeOnceAsync(CancellationToken.None);
        Assert.Equal(ProbeResult.Failure, live.Result);
        Assert.Equal(["boom", "boom"], liveness.Failures);
        await live.ProbeOnceAsync(CancellationToken.None);
        Assert.Equal(2, liveness.Runs);

        var startup = new ScriptedProbe();
        ProbeWorker start = startup.Worker(ProbeKind.Startup, new ProbeSettings(TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 1, 3), time.GetUtcNow(), time);
        Assert.Equal(ProbeResult.Unknown, start.Result);
        await start.ProbeOnceAsync(CancellationToken.None);
        await start.ProbeOnceAsync(CancellationToken.None);
        Assert.Equal(ProbeResult.Success, start.Result);
        Assert.Equal(1, startup.Runs);
    }

    [Fact]
    public async Task Probe_worker_runs_at_once_then_every_period()
    {
        var time = new FakeTimeProvider(Now);
        var probe = new ScriptedProbe();
        ProbeWorker worker = probe.Worker(ProbeKind.Readiness, new ProbeSettings(TimeSpan.Zero, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), 1, 3), time.GetUtcNow(), time);
        using var cts = new CancellationTokenSource();
        Task loop = worker.RunAsync(cts.Token);
        await WaitForAsync(() => probe.Runs == 1);
        time.Advance(TimeSpan.FromSeconds(9));

        // A probe run too early would come on the timer's continuation: no event marks that it did not, so a moment passes.
        await Task.Delay(50);
        Assert.Equal(1, probe.Runs);
        time.Advance(TimeSpan.FromSeconds(1));
        await WaitForAsync(() => probe.Runs == 2);
        await cts.CancelAsync();
        await loop;
    }

    private static Task WaitForAsync(Func<bool> condition) => Eventually(condition, "the probe runs", TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(10));

    [Fact]
    public void Restart_backoff_starts_at_once_doubles_to_5min_and_resets_after_10min()
    {
        var time = new FakeTimeProvider(Now);
        var backoff = RestartBackoff.Default(time);
        DateTimeOffset exit = time.GetUtcNow();
        Assert.False(backoff.IsInBackOffSince("c", exit));
        backoff.Next("c", exit);
        Assert.Equal(TimeSpan.FromSeconds(10), backoff.Get("c"));

        time.Advance(TimeSpan.FromSeconds(1));
        exit = time.GetUtcNow();
        Assert.True(backoff.IsInBackOffSince("c", exit));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(backoff.IsInBackOffSince("c", exit));
        var seen = new List<int>();
        for (int i = 0; i < 7; i++)
        {
            backoff.Next("c", time.GetUtcNow());
            seen.Add((int)backoff.Get("c").TotalSeconds);
        }

        Assert.Equal([20, 40, 80, 160, 300, 300, 300], seen);

        // Ran for more than twice the maximum since the last restart: back to 10 s and no wait.
        time.Advance(TimeSpan.FromMinutes(11));
        exit = time.GetUtcNow();
        Assert.False(backoff.IsInBackOffSince("c", exit));
        backoff.Next("c", exit);
        Assert.Equal(TimeSpan.FromSeconds(10), backoff.Get("c"));
        Assert.False(backoff.IsInBackOffSince("other", exit));
    }

    private static V1Pod Pod(string restartPolicy = "Always", bool sidecar = false, IList<V1PodReadinessGate>? gates = null, V1PodStatus? status = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "default", Uid = "u1" },
        Spec = new V1PodSpec
        {
            RestartPolicy = restartPolicy,
            InitContainers =
            [
                new V1Container { Name = "init1", Image = "busybox" },
                new V1Container { Name = "init2", Image = "busybox", RestartPolicy = sidecar ? "Always" : null },
            ],
            Containers = [new V1Container { Name = "main", Image = "busybox" }],
            ReadinessGates = gates,
        },
        Status = status,
    };

    private static ContainerStatus Cri(string name, ContainerState state, int exitCode = 0, uint attempt = 0) => new()
    {
        Id = name + "-id-" + attempt,
        Metadata = new ContainerMetadata { Name = name, Attempt = attempt },
        State = state,
        ExitCode = exitCode,
        StartedAt = 1_000_000_000,
        FinishedAt = state == ContainerState.ContainerExited ? 2_000_000_000 : 0,
    };

    private static ContainerView Running(string name, bool ready = true) => new() { Current = Cri(name, ContainerState.ContainerRunning), Started = true, Ready = ready };

    private static ContainerView Exited(string name, int code) => new() { Current = Cri(name, ContainerState.ContainerExited, code) };

    private static V1PodStatus Build(V1Pod pod, Dictionary<string, ContainerView> views, DateTime? now = null) =>
        PodStatusBuilder.Build(pod, true, "10.0.0.5", "192.168.1.1", views, Now, now ?? Now);

    [Fact]
    public void While_init_containers_run_the_pod_is_pending_and_not_initialized()
    {
        V1PodStatus s = Build(Pod(), new() { ["init1"] = Exited("init1", 0), ["init2"] = Running("init2", ready: false) });
        Assert.Equal("Pending", s.Phase);
        Assert.Equal("Completed", s.InitContainerStatuses[0].State.Terminated.Reason);
        Assert.True(s.InitContainerStatuses[0].Ready);
        Assert.NotNull(s.InitContainerStatuses[1].State.Running);
        Assert.Equal("PodInitializing", s.ContainerStatuses[0].State.Waiting.Reason);
        V1PodCondition initialized = s.Conditions.Single(c => c.Type == "Initialized");
        Assert.Equal("False", initialized.Status);
        Assert.Equal("ContainersNotInitialized", initialized.Reason);
        Assert.Equal("containers with incomplete status: [init2]", initialized.Message);
        Assert.Equal("False", s.Conditions.Single(c => c.Type == "Ready").Status);

        V1PodStatus fresh = Build(Pod(), []);
        Assert.Equal("PodInitializing", fresh.InitContainerStatuses[0].State.Waiting.Reason);
        Assert.Equal("Pending", fresh.Phase);
    }

    [Fact]
    public void A_sidecar_counts_once_started_and_its_readiness_joins_ContainersReady()
    {
        var views = new Dictionary<string, ContainerView> { ["init1"] = Exited("init1", 0), ["init2"] = Running("init2", ready: false), ["main"] = Running("main") };
        V1PodStatus s = Build(Pod(sidecar: true), views);
        Assert.Equal("Running", s.Phase);
        Assert.Equal("True", s.Conditions.Single(c => c.Type == "Initialized").Status);
        V1PodCondition containersReady = s.Conditions.Single(c => c.Type == "ContainersReady");
        Assert.Equal("False", containersReady.Status);
        Assert.Equal("containers with unready status: [init2]", containersReady.Message);

        views["init2"].Ready = true;
        s = Build(Pod(sidecar: true), views);
        Assert.Equal("True", s.Conditions.Single(c => c.Type == "ContainersReady").Status);
        Assert.Equal("True", s.Conditions.Single(c => c.Type == "Ready").Status);
        Assert.True(s.InitContainerStatuses[1].Started);
    }

    [Theory]
    [InlineData("Never", "Failed")]
    [InlineData("OnFailure", "Pending")]
    [InlineData("Always", "Pending")]
    public void A_failed_init_container_fails_the_pod_only_with_restartPolicy_Never(string policy, string phase)
    {
        V1PodStatus s = Build(Pod(policy), new() { ["init1"] = Exited("init1", 1) });
        Assert.Equal(phase, s.Phase);
        Assert.Equal("Error", s.InitContainerStatuses[0].State.Terminated.Reason);
        Assert.False(s.InitContainerStatuses[0].Ready);
    }

    [Fact]
    public void Ready_honours_readiness_gates_and_keeps_foreign_conditions()
    {
        var views = new Dictionary<string, ContainerView> { ["init1"] = Exited("init1", 0), ["init2"] = Exited("init2", 0), ["main"] = Running("main") };
        V1Pod pod = Pod(gates: [new V1PodReadinessGate { ConditionType = "example.com/lb" }]);
        V1PodStatus s = Build(pod, views);
        V1PodCondition ready = s.Conditions.Single(c => c.Type == "Ready");
        Assert.Equal("False", ready.Status);
        Assert.Equal("ReadinessGatesNotReady", ready.Reason);
        Assert.Equal("corresponding condition of pod readiness gate \"example.com/lb\" does not exist.", ready.Message);
        Assert.Equal("True", s.Conditions.Single(c => c.Type == "ContainersReady").Status);

        pod.Status = new V1PodStatus { Conditions = [new V1PodCondition { Type = "example.com/lb", Status = "True" }] };
        s = Build(pod, views);
        Assert.Equal("True", s.Conditions.Single(c => c.Type == "Ready").Status);
        Assert.Contains(s.Conditions, c => c.Type == "example.com/lb" && c.Status == "True");
    }

    [Fact]
    public void Condition_transition_times_move_only_when_the_status_changes()
    {
        var views = new Dictionary<string, ContainerView> { ["init1"] = Exited("init1", 0), ["init2"] = Exited("init2", 0), ["main"] = Running("main", ready: false) };
        V1Pod pod = Pod();
        pod.Status = Build(pod, views);
        V1PodStatus later = Build(pod, views, Now.AddMinutes(1));
        Assert.Equal(Now, later.Conditions.Single(c => c.Type == "Ready").LastTransitionTime);

        views["main"].Ready = true;
        V1PodStatus flipped = Build(pod, views, Now.AddMinutes(2));
        Assert.Equal(Now.AddMinutes(2), flipped.Conditions.Single(c => c.Type == "Ready").LastTransitionTime);
        Assert.Equal(Now, flipped.Conditions.Single(c => c.Type == "Initialized").LastTransitionTime);
    }

    [Fact]
    public void A_kubelet_failure_sets_phase_reason_and_message()
    {
        var views = new Dictionary<string, ContainerView> { ["init1"] = Exited("init1", 0), ["init2"] = Exited("init2", 0), ["main"] = Exited("main", 137) };
        V1PodStatus s = PodStatusBuilder.Build(Pod(), true, "10.0.0.5", "192.168.1.1", views, Now, Now, initialized: true, failure: ("DeadlineExceeded", "Pod was active on the node longer than the specified deadline"));
        Assert.Equal("Failed", s.Phase);
        Assert.Equal("DeadlineExceeded", s.Reason);
        Assert.Equal(137, s.ContainerStatuses[0].State.Terminated.ExitCode);
    }

    [Fact]
    public void Termination_message_comes_from_the_file_or_the_log_tail()
    {
        string dir = Directory.CreateTempSubdirectory("nvk-term-").FullName;
        try
        {
            string file = Path.Combine(dir, "msg");
            File.WriteAllText(file, "all done");
            string log = Path.Combine(dir, "0.log");
            var lines = new StringBuilder();
            for (int i = 0; i < 100; i++)
            {
                lines.Append("2026-11-23T12:00:00.000000000Z stdout F line ").Append(i).Append('\n');
            }

            lines.Append("2026-11-23T12:00:01.000000000Z stderr P part-").Append('\n');
            lines.Append("2026-11-23T12:00:01.000000000Z stderr F end").Append('\n');
            File.WriteAllText(log, lines.ToString());

            ContainerStatus Status(string policy, int exitCode, string hostFile)
            {
                var s = new ContainerStatus { ExitCode = exitCode, LogPath = log, State = ContainerState.ContainerExited };
                s.Annotations["io.kubernetes.container.terminationMessagePath"] = "/dev/termination-log";
                s.Annotations[TerminationMessages.PolicyAnnotation] = policy;
                s.Mounts.Add(new Mount { ContainerPath = "/dev/termination-log", HostPath = hostFile });
                return s;
            }

            Assert.Equal("all done", TerminationMessages.Read(Status("FallbackToLogsOnError", 1, file)));
            string empty = Path.Combine(dir, "empty");
            File.WriteAllText(empty, "");
            Assert.Equal("", TerminationMessages.Read(Status("File", 1, empty)));
            Assert.Equal("", TerminationMessages.Read(Status("FallbackToLogsOnError", 0, empty)));

            string tail = TerminationMessages.Read(Status("FallbackToLogsOnError", 1, empty));
            string[] tailLines = tail.TrimEnd('\n').Split('\n');
            Assert.Equal(80, tailLines.Length);
            Assert.Equal("line 21", tailLines[0]);
            Assert.Equal("part-end", tailLines[^1]);
            Assert.True(Encoding.UTF8.GetByteCount(tail) <= 2048);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
