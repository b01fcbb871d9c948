using System.Diagnostics;
using k8s;
using k8s.Models;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Runtime;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// The pod lifecycle on a real kubelet with its own containerd and a real API server: init containers in order,
/// sidecars, probes of every handler kind restarting and gating containers, hooks and graceful termination,
/// termination messages, activeDeadlineSeconds and CrashLoopBackOff — checked through the API and the real kubectl.
/// </summary>
[Trait("Category", "Node")]
public sealed class LifecycleEndToEndTests(ITestOutputHelper output)
{
    private static V1Container Sh(string name, string script) => new() { Name = name, Image = "busybox:1.35", Command = ["sh", "-c", script] };

    private static V1Pod Pod(string name, string node, V1Container main, string restartPolicy = "Always", IList<V1Container>? init = null, long grace = 2) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1PodSpec { NodeName = node, RestartPolicy = restartPolicy, TerminationGracePeriodSeconds = grace, InitContainers = init, Containers = [main] },
    };

    private static V1Probe Exec(params string[] command) => new() { Exec = new V1ExecAction { Command = command }, PeriodSeconds = 1, FailureThreshold = 1 };

    private static bool Condition(V1Pod p, string type, string status) => p.Status?.Conditions?.Any(c => c.Type == type && c.Status == status) == true;

    private static V1ContainerStatus? App(V1Pod p) => p.Status?.ContainerStatuses?.FirstOrDefault();

    /// <summary>kubectl get pod NAME: the READY and STATUS columns.</summary>
    private static (string Ready, string Status) Kubectl(KubeletNode node, string name)
    {
        var info = new ProcessStartInfo("kubectl", ["--kubeconfig", node.Api.Server.AdminKubeconfigPath, "get", "pod", name, "--no-headers"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process p = Process.Start(info)!;
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        string[] columns = stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return columns.Length >= 3 ? (columns[1], columns[2]) : ("", "");
    }

    private static async Task ExecAsync(KubeletNode node, V1ContainerStatus status, params string[] command)
    {
        using var cri = new CriConnection(node.Socket);
        ExecSyncResponse response = await cri.Runtime.ExecSyncAsync(status.ContainerID["containerd://".Length..], command, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.True(response.ExitCode == 0, response.Stderr.ToStringUtf8());
    }

    private static async Task<List<Corev1Event>> EventsAsync(Kubernetes client, string pod) =>
        [.. (await client.CoreV1.ListNamespacedEventAsync("default")).Items.Where(e => e.InvolvedObject.Name == pod)];

    [Fact]
    public async Task Init_containers_run_in_order_and_sidecars_run_beside_the_app()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        Kubernetes client = node.Client;
        string nodeName = node.Options.NodeName;
        V1Container sidecar = Sh("side", "sleep 3600");
        sidecar.RestartPolicy = "Always";
        await client.CoreV1.CreateNamespacedPodAsync(Pod("init", nodeName, Sh("main", "sleep 3600"), init: [Sh("first", "sleep 2; echo first"), Sh("second", "sleep 2; echo second"), sidecar]), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("badinit", nodeName, Sh("main", "sleep 3600"), restartPolicy: "Never", init: [Sh("fails", "exit 3")]), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("retryinit", nodeName, Sh("main", "sleep 3600"), init: [Sh("fails", "exit 1")]), "default");

        // kubectl computes Init:N/M from the init container statuses while they run.
        var seen = new HashSet<string>();
        V1Pod running = await KubeletNode.WaitAsync(async () =>
        {
            seen.Add(Kubectl(node, "init").Status);
            V1Pod p = await client.CoreV1.ReadNamespacedPodAsync("init", "default");
            return p.Status?.Phase == "Running" && Condition(p, "Ready", "True") ? p : null;
        }, "init pod Running and Ready");
        output.WriteLine("kubectl statuses seen: " + string.Join(", ", seen));
        Assert.Contains(seen, s => s is "Init:0/3" or "Init:1/3");
        Assert.Equal(("2/2", "Running"), Kubectl(node, "init"));

        V1ContainerStatus first = running.Status.InitContainerStatuses[0], second = running.Status.InitContainerStatuses[1], side = running.Status.InitContainerStatuses[2];
        Assert.Equal(("Completed", 0), (first.State.Terminated.Reason, first.State.Terminated.ExitCode));
        Assert.Equal(("Completed", 0), (second.State.Terminated.Reason, second.State.Terminated.ExitCode));
        Assert.True(first.State.Terminated.FinishedAt <= second.State.Terminated.StartedAt, "the second init container started after the first finished");
        Assert.True(second.State.Terminated.FinishedAt <= side.State.Running.StartedAt, "the sidecar started after the second init container");
        Assert.True(second.State.Terminated.FinishedAt <= App(running)!.State.Running.StartedAt, "the app started after the init containers");
        Assert.True(side.Started);
        Assert.True(side.Ready);
        Assert.True(Condition(running, "Initialized", "True"));
        Assert.True(Condition(running, "PodReadyToStartContainers", "True"));

        V1Pod failed = await TestPods.WaitAsync(client, "badinit", p => p.Status?.Phase == "Failed", "a failed init container with restartPolicy Never fails the pod");
        Assert.Equal(3, failed.Status.InitContainerStatuses[0].State.Terminated.ExitCode);
        Assert.Equal("PodInitializing", App(failed)!.State.Waiting.Reason);
        Assert.Null(App(failed)!.ContainerID);
        Assert.Equal("Init:Error", Kubectl(node, "badinit").Status);

        V1Pod retried = await TestPods.WaitAsync(client, "retryinit", p => p.Status?.InitContainerStatuses?.FirstOrDefault()?.RestartCount >= 1, "the failing init container restarted");
        Assert.Equal("Pending", retried.Status.Phase);
        Assert.True(Condition(retried, "Initialized", "False"));
        Assert.StartsWith("Init:", Kubectl(node, "retryinit").Status, StringComparison.Ordinal);

        // Deletion stops the app container first, the sidecar after it.
        await client.CoreV1.DeleteNamespacedPodAsync("init", "default");
        await TestPods.WaitGoneAsync(client, "init");
        List<Corev1Event> events = await EventsAsync(client, "init");
        Assert.Contains(events, e => e.Reason == "Killing" && e.Message == "Stopping container side");
        Assert.Contains(events, e => e.Reason == "Started" && e.Message == "Started container first");
    }

    [Fact]
    public async Task Exec_probes_restart_gate_and_toggle_readiness()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        Kubernetes client = node.Client;
        string nodeName = node.Options.NodeName;
        V1Container live = Sh("main", "echo ok > /tmp/healthy; sleep 3600");
        live.LivenessProbe = Exec("cat", "/tmp/healthy");
        V1Container ready = Sh("main", "sleep 3600");
        ready.ReadinessProbe = Exec("cat", "/tmp/ready");
        V1Container startup = Sh("main", "sleep 3600");
        startup.StartupProbe = Exec("cat", "/tmp/started");
        startup.StartupProbe.FailureThreshold = 120;
        startup.ReadinessProbe = Exec("true");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("live", nodeName, live), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("ready", nodeName, ready), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("startup", nodeName, startup), "default");

        // Readiness follows the probe both ways.
        await TestPods.WaitAsync(client, "ready", p => App(p)?.State?.Running is not null, "ready pod running");

        // The marker that the probe has run: its failure's event.
        await KubeletNode.WaitAsync(async () => (await EventsAsync(client, "ready")).FirstOrDefault(e => e.Reason == "Unhealthy" && e.Message.StartsWith("Readiness probe failed:", StringComparison.Ordinal)), "a failed readiness probe", 20);
        V1Pod notReady = await client.CoreV1.ReadNamespacedPodAsync("ready", "default");
        Assert.False(App(notReady)!.Ready);
        Assert.True(Condition(notReady, "ContainersReady", "False"));
        await ExecAsync(node, App(notReady)!, "sh", "-c", "echo > /tmp/ready");
        V1Pod isReady = await TestPods.WaitAsync(client, "ready", p => Condition(p, "Ready", "True") && App(p)!.Ready, "Ready after the file appears", 20);
        await ExecAsync(node, App(isReady)!, "busybox", "rm", "/tmp/ready");
        await TestPods.WaitAsync(client, "ready", p => Condition(p, "Ready", "False") && !App(p)!.Ready, "not Ready after the file goes", 20);
        Assert.Contains(await EventsAsync(client, "ready"), e => e.Reason == "Unhealthy" && e.Message.StartsWith("Readiness probe failed:", StringComparison.Ordinal));

        // The startup probe holds back started and readiness.
        await TestPods.WaitAsync(client, "startup", p => App(p)?.State?.Running is not null, "startup pod running");
        await KubeletNode.WaitAsync(async () => (await EventsAsync(client, "startup")).FirstOrDefault(e => e.Reason == "Unhealthy" && e.Message.StartsWith("Startup probe failed:", StringComparison.Ordinal)), "a failed startup probe", 20);
        V1Pod starting = await client.CoreV1.ReadNamespacedPodAsync("startup", "default");
        Assert.False(App(starting)!.Started);
        Assert.False(App(starting)!.Ready);
        await ExecAsync(node, App(starting)!, "sh", "-c", "echo > /tmp/started");
        V1Pod started = await TestPods.WaitAsync(client, "startup", p => App(p)!.Started == true && App(p)!.Ready, "started and ready after the startup probe passes", 20);
        Assert.Equal(0, App(started)!.RestartCount);

        // A failing liveness probe restarts the container.
        V1Pod alive = await TestPods.WaitAsync(client, "live", p => App(p)?.State?.Running is not null, "live pod running");

        // A passing liveness probe leaves no event: two seconds (a probe period and more) without a restart is the check.
        await Task.Delay(2000);
        Assert.Equal(0, App(await client.CoreV1.ReadNamespacedPodAsync("live", "default"))!.RestartCount);
        await ExecAsync(node, App(alive)!, "busybox", "rm", "/tmp/healthy");
        V1Pod restarted = await TestPods.WaitAsync(client, "live", p => App(p)?.RestartCount >= 1 && App(p)!.State.Running is not null, "restarted after the liveness probe failed", 30);
        Assert.NotNull(App(restarted)!.LastState.Terminated);
        List<Corev1Event> events = await EventsAsync(client, "live");
        Assert.Contains(events, e => e.Reason == "Unhealthy" && e.Type == "Warning" && e.Message.StartsWith("Liveness probe failed:", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Reason == "Killing" && e.Message == "Container main failed liveness probe, will be restarted");
    }

    [Fact]
    public async Task HttpGet_and_tcpSocket_probes_against_busybox_httpd()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        Kubernetes client = node.Client;
        const string Serve = "busybox mkdir -p /www && echo hi > /www/index.html && exec busybox httpd -f -p 8080 -h /www";
        V1Container web = Sh("main", Serve);
        web.Ports = [new V1ContainerPort { Name = "http", ContainerPort = 8080 }];
        web.ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/index.html", Port = "http" }, PeriodSeconds = 1 };
        web.LivenessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = 8080 }, PeriodSeconds = 1, FailureThreshold = 2 };
        V1Container missing = Sh("main", Serve);
        missing.ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/missing", Port = 8080 }, PeriodSeconds = 1 };
        V1Container closed = Sh("main", "sleep 3600");
        closed.LivenessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = 9999 }, PeriodSeconds = 1, FailureThreshold = 2 };
        await client.CoreV1.CreateNamespacedPodAsync(Pod("web", node.Options.NodeName, web), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("missing", node.Options.NodeName, missing), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("closed", node.Options.NodeName, closed), "default");

        await TestPods.WaitAsync(client, "web", p => Condition(p, "Ready", "True"), "web Ready by its httpGet probe");
        await TestPods.WaitAsync(client, "closed", p => App(p)?.RestartCount >= 1, "restarted by a failing tcpSocket probe", 40);
        await KubeletNode.WaitAsync(async () => (await EventsAsync(client, "missing")).FirstOrDefault(e => e.Reason == "Unhealthy" && e.Message == "Readiness probe failed: HTTP probe failed with statuscode: 404"), "a 404 readiness failure");
        V1Pod web404 = await client.CoreV1.ReadNamespacedPodAsync("missing", "default");
        Assert.False(App(web404)!.Ready);
        V1Pod healthy = await client.CoreV1.ReadNamespacedPodAsync("web", "default");
        Assert.Equal(0, App(healthy)!.RestartCount);
        Assert.Equal("1/1", Kubectl(node, "web").Ready);
    }

    [Fact]
    public async Task Hooks_termination_messages_deadline_and_crash_loop()
    {
        await using KubeletNode node = await KubeletNode.StartAsync(output);
        Kubernetes client = node.Client;
        string nodeName = node.Options.NodeName;
        const string Loop = "trap 'exit 0' TERM; while true; do sleep 1; done";
        await client.CoreV1.CreateNamespacedPodAsync(Pod("msg", nodeName, Sh("main", "echo -n 'all done' > /dev/termination-log"), restartPolicy: "Never"), "default");
        V1Container fallback = Sh("main", "echo oops; exit 2");
        fallback.TerminationMessagePolicy = "FallbackToLogsOnError";
        await client.CoreV1.CreateNamespacedPodAsync(Pod("fallback", nodeName, fallback, restartPolicy: "Never"), "default");
        V1Container deadline = Sh("main", Loop);
        deadline.Lifecycle = new V1Lifecycle { PreStop = new V1LifecycleHandler { Exec = new V1ExecAction { Command = ["sh", "-c", "echo -n prestop-ran > /dev/termination-log"] } } };
        V1Pod deadlinePod = Pod("deadline", nodeName, deadline, grace: 5);
        deadlinePod.Spec.ActiveDeadlineSeconds = 5;
        await client.CoreV1.CreateNamespacedPodAsync(deadlinePod, "default");
        V1Container slow = Sh("main", Loop);
        slow.Lifecycle = new V1Lifecycle
        {
            PostStart = new V1LifecycleHandler { Exec = new V1ExecAction { Command = ["sh", "-c", "echo started > /tmp/poststart"] } },
            PreStop = new V1LifecycleHandler { Exec = new V1ExecAction { Command = ["sleep", "3"] } },
        };
        await client.CoreV1.CreateNamespacedPodAsync(Pod("slowstop", nodeName, slow, grace: 20), "default");
        V1Container badHook = Sh("main", "sleep 3600");
        badHook.Lifecycle = new V1Lifecycle { PostStart = new V1LifecycleHandler { Exec = new V1ExecAction { Command = ["false"] } } };
        await client.CoreV1.CreateNamespacedPodAsync(Pod("badhook", nodeName, badHook), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("crash", nodeName, Sh("main", "exit 1")), "default");

        V1Pod msg = await TestPods.WaitAsync(client, "msg", p => p.Status?.Phase == "Succeeded", "msg Succeeded");
        Assert.Equal("all done", App(msg)!.State.Terminated.Message);
        V1Pod fell = await TestPods.WaitAsync(client, "fallback", p => p.Status?.Phase == "Failed", "fallback Failed");
        Assert.Equal("oops\n", App(fell)!.State.Terminated.Message);

        // The deadline kills the container; its preStop hook ran first (it wrote the termination message).
        V1Pod expired = await TestPods.WaitAsync(client, "deadline", p => p.Status?.Phase == "Failed", "deadline pod Failed");
        Assert.Equal("DeadlineExceeded", expired.Status.Reason);
        Assert.Equal("prestop-ran", App(expired)!.State.Terminated.Message);
        Assert.True(Condition(expired, "Ready", "False"));

        // Deletion waits for the preStop hook (3 s) within the grace period, then stops the container.
        V1Pod slowPod = await TestPods.WaitAsync(client, "slowstop", p => App(p)?.State?.Running is not null, "slowstop running");
        await ExecAsync(node, App(slowPod)!, "cat", "/tmp/poststart");
        var clock = Stopwatch.StartNew();
        await client.CoreV1.DeleteNamespacedPodAsync("slowstop", "default");
        await TestPods.WaitGoneAsync(client, "slowstop");
        output.WriteLine($"slowstop deleted after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.InRange(clock.Elapsed.TotalSeconds, 3, 18);
        Assert.DoesNotContain(await EventsAsync(client, "slowstop"), e => e.Reason == "FailedPreStopHook");

        // A failing postStart hook kills the container, which then restarts by its policy.
        await TestPods.WaitAsync(client, "badhook", p => App(p)?.RestartCount >= 1, "badhook restarted after its postStart hook failed", 40);
        List<Corev1Event> hookEvents = await EventsAsync(client, "badhook");
        Assert.Contains(hookEvents, e => e.Reason == "FailedPostStartHook");
        Assert.Contains(hookEvents, e => e.Reason == "Killing" && e.Message == "FailedPostStartHook");

        // The back-off grows: the first restart is immediate, then 10 s, then 20 s.
        V1Pod crash = await TestPods.WaitAsync(client, "crash", p => App(p)?.State?.Waiting?.Message?.StartsWith("back-off 20s", StringComparison.Ordinal) == true, "back-off 20s", 60);
        Assert.Equal("CrashLoopBackOff", App(crash)!.State.Waiting.Reason);
        Assert.True(App(crash)!.RestartCount >= 2);
        Assert.Equal("CrashLoopBackOff", Kubectl(node, "crash").Status);
        Assert.Contains(await EventsAsync(client, "crash"), e => e.Reason == "BackOff" && e.Type == "Warning");
    }
}
