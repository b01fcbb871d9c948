using System.Diagnostics;

namespace Navarch.E2E.Tests;

/// <summary>
/// What Kubernetes promises, seen working on one `navarch server` node with the real kubectl and real containers:
/// self-healing, scaling, rollouts that keep enough replicas available, configuration reaching running pods, batch
/// work, and node heartbeats. (Bin packing and rescheduling after a lost node need several nodes: MultiNodeTests.)
/// </summary>
[Trait("Category", "Node")]
public sealed class WalkthroughTests(NavarchNode node) : IClassFixture<NavarchNode>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private async Task NamespaceAsync(string ns) => await node.OkAsync("create", "namespace", ns);

    private static string Deployment(string ns, string name, int replicas, string extraSpec = "") => $$$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: {{{name}}}, namespace: {{{ns}}}}
        spec:
          replicas: {{{replicas}}}
          selector: {matchLabels: {app: {{{name}}}}}
        {{{extraSpec}}}
          template:
            metadata: {labels: {app: {{{name}}}}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: c
                image: busybox:1.35
                command: ["sh", "-c", "trap 'exit 1' TERM; while true; do sleep 1; done"]
                readinessProbe: {exec: {command: ["true"]}, periodSeconds: 1}
        """;

    private Task<string> RunningAsync(string ns, string app, int count) => node.PollAsync(
        $"{count} running {app} pods", o => o.Split(' ', StringSplitOptions.RemoveEmptyEntries).Count(p => p == "Running/true") == count && o.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == count,
        Patience, "-n", ns, "get", "pods", "-l", $"app={app}", "-o", "jsonpath={range .items[*]}{.status.phase}/{.status.containerStatuses[0].ready} {end}");

    [Fact]
    public async Task A_killed_container_restarts_and_a_deleted_pod_is_replaced()
    {
        const string ns = "walk-heal";
        await NamespaceAsync(ns);
        await node.ApplyAsync(Deployment(ns, "heal", 1));
        await RunningAsync(ns, "heal", 1);
        string pod = (await node.OkAsync("-n", ns, "get", "pods", "-l", "app=heal", "-o", "jsonpath={.items[0].metadata.name}")).Trim();

        // The main process dies (SIGTERM to PID 1 of the container): restartPolicy Always starts it again.
        await node.OkAsync("-n", ns, "exec", pod, "--", "kill", "1");
        await node.PollAsync("the container restarted", o => int.TryParse(o, out int n) && n >= 1, Patience, "-n", ns, "get", "pod", pod, "-o", "jsonpath={.status.containerStatuses[0].restartCount}");
        await RunningAsync(ns, "heal", 1);

        // The pod is deleted: its ReplicaSet makes another.
        await node.OkAsync("-n", ns, "delete", "pod", pod, "--wait=false");
        await node.PollAsync("a replacement pod", o => o.Length > 0 && !o.Contains(pod, StringComparison.Ordinal), Patience,
            "-n", ns, "get", "pods", "-l", "app=heal", "--field-selector=status.phase=Running", "-o", "jsonpath={.items[*].metadata.name}");
        await node.OkAsync("delete", "namespace", ns, "--wait=false");
    }

    [Fact]
    public async Task Kubectl_scale_up_and_down_changes_the_running_pods()
    {
        const string ns = "walk-scale";
        await NamespaceAsync(ns);
        await node.ApplyAsync(Deployment(ns, "scale", 1));
        await RunningAsync(ns, "scale", 1);
        await node.OkAsync("-n", ns, "scale", "deployment/scale", "--replicas=3");
        await RunningAsync(ns, "scale", 3);
        await node.OkAsync("-n", ns, "scale", "deployment/scale", "--replicas=1");
        await node.PollAsync("one pod left", o => o.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 1, Patience, "-n", ns, "get", "pods", "-l", "app=scale", "-o", "jsonpath={.items[*].metadata.name}");
        Assert.Equal("1", (await node.OkAsync("-n", ns, "get", "deployment", "scale", "-o", "jsonpath={.status.readyReplicas}")).Trim());
        await node.OkAsync("delete", "namespace", ns, "--wait=false");
    }

    [Fact]
    public async Task A_rollout_and_its_undo_never_leave_fewer_than_replicas_minus_maxUnavailable_available()
    {
        const string ns = "walk-roll";
        await NamespaceAsync(ns);
        const string Strategy = "  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}\n  minReadySeconds: 1";
        await node.ApplyAsync(Deployment(ns, "roll", 3, Strategy));
        Assert.True((await node.KubectlAsync("-n", ns, "rollout", "status", "deployment/roll", "--timeout=90s")).ExitCode == 0, await node.DiagnosticsAsync());

        // Sample the available replicas all through a rollout and its undo.
        using var stop = new CancellationTokenSource();
        var seen = new List<int>();
        Task sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Kubectl.Result r = await node.KubectlAsync("-n", ns, "get", "deployment", "roll", "-o", "jsonpath={.status.availableReplicas}");
                if (r.ExitCode == 0 && int.TryParse(r.Stdout.Trim(), out int available))
                {
                    lock (seen)
                    {
                        seen.Add(available);
                    }
                }

                await Task.Delay(100);
            }
        });

        await node.OkAsync("-n", ns, "set", "env", "deployment/roll", "VERSION=2");
        Assert.True((await node.KubectlAsync("-n", ns, "rollout", "status", "deployment/roll", "--timeout=90s")).ExitCode == 0, await node.DiagnosticsAsync());
        Assert.Contains("VERSION=2", await node.OkAsync("-n", ns, "exec", "deployment/roll", "--", "env"), StringComparison.Ordinal);
        await node.OkAsync("-n", ns, "rollout", "undo", "deployment/roll");
        Assert.True((await node.KubectlAsync("-n", ns, "rollout", "status", "deployment/roll", "--timeout=90s")).ExitCode == 0, await node.DiagnosticsAsync());
        await stop.CancelAsync();
        await sampler;

        Assert.DoesNotContain("VERSION=2", await node.OkAsync("-n", ns, "exec", "deployment/roll", "--", "env"), StringComparison.Ordinal);
        Assert.NotEmpty(seen);
        Assert.True(seen.Min() >= 2, $"available replicas went down to {seen.Min()} (3 replicas, maxUnavailable 1): {string.Join(',', seen)}");
        string history = await node.OkAsync("-n", ns, "rollout", "history", "deployment/roll");
        Assert.Matches(@"(?m)^2\s", history);
        Assert.Matches(@"(?m)^3\s", history);
        await node.OkAsync("delete", "namespace", ns, "--wait=false");
    }

    [Fact]
    public async Task A_changed_ConfigMap_and_Secret_reach_a_running_pods_files()
    {
        const string ns = "walk-config";
        await NamespaceAsync(ns);
        await node.OkAsync("-n", ns, "create", "configmap", "settings", "--from-literal=mode=blue");
        await node.OkAsync("-n", ns, "create", "secret", "generic", "credentials", "--from-literal=password=first");
        await node.ApplyAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: reader, namespace: {{ns}}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: c
                image: busybox:1.35
                command: ["sleep", "3600"]
                volumeMounts:
                - {name: settings, mountPath: /etc/settings}
                - {name: credentials, mountPath: /etc/credentials}
              volumes:
              - name: settings
                configMap: {name: settings}
              - name: credentials
                secret: {secretName: credentials}
            """);
        Assert.True((await node.KubectlAsync("-n", ns, "wait", "--for=condition=Ready", "pod/reader", "--timeout=90s")).ExitCode == 0, await node.DiagnosticsAsync());
        Assert.Equal("blue first", (await node.OkAsync("-n", ns, "exec", "reader", "--", "sh", "-c", "echo $(cat /etc/settings/mode) $(cat /etc/credentials/password)")).Trim());

        // Changed in the API, the files change in the running container (no restart), as the kubelet's periodic sync does.
        Kubectl.Result patched = await Kubectl.RunAsync(node.Kubeconfig, ["-n", ns, "create", "configmap", "settings", "--from-literal=mode=green", "--dry-run=client", "-o", "yaml"]);
        await node.ApplyAsync(patched.Stdout);
        patched = await Kubectl.RunAsync(node.Kubeconfig, ["-n", ns, "create", "secret", "generic", "credentials", "--from-literal=password=second", "--dry-run=client", "-o", "yaml"]);
        await node.ApplyAsync(patched.Stdout);
        await node.PollAsync("the new values in the files", o => o == "green second", TimeSpan.FromSeconds(120),
            "-n", ns, "exec", "reader", "--", "sh", "-c", "echo $(cat /etc/settings/mode) $(cat /etc/credentials/password)");
        Assert.Equal("0", (await node.OkAsync("-n", ns, "get", "pod", "reader", "-o", "jsonpath={.status.containerStatuses[0].restartCount}")).Trim());
        await node.OkAsync("delete", "namespace", ns, "--wait=false");
    }

    [Fact]
    public async Task Jobs_complete_in_parallel_stop_at_their_backoff_limit_and_a_CronJob_fires()
    {
        const string ns = "walk-batch";
        await NamespaceAsync(ns);
        await node.ApplyAsync($$"""
            apiVersion: batch/v1
            kind: CronJob
            metadata: {name: tick, namespace: {{ns}}}
            spec:
              schedule: "* * * * *"
              jobTemplate:
                spec:
                  template:
                    spec:
                      restartPolicy: Never
                      terminationGracePeriodSeconds: 1
                      containers:
                      - {name: c, image: busybox:1.35, command: ["echo", "tick"]}
            ---
            apiVersion: batch/v1
            kind: Job
            metadata: {name: work, namespace: {{ns}}}
            spec:
              completions: 5
              parallelism: 2
              template:
                spec:
                  restartPolicy: Never
                  terminationGracePeriodSeconds: 1
                  containers:
                  - {name: c, image: busybox:1.35, command: ["sh", "-c", "sleep 1; echo done"]}
            ---
            apiVersion: batch/v1
            kind: Job
            metadata: {name: fail, namespace: {{ns}}}
            spec:
              backoffLimit: 2
              template:
                spec:
                  restartPolicy: Never
                  terminationGracePeriodSeconds: 1
                  containers:
                  - {name: c, image: busybox:1.35, command: ["sh", "-c", "exit 3"]}
            """);

        // Five completions, never more than two pods at once.
        int mostActive = 0;
        await Eventually(
            async () =>
            {
                string[] fields = (await node.OkAsync("-n", ns, "get", "job", "work", "-o", "jsonpath={.status.active} {.status.succeeded}")).Trim().Split(' ');
                mostActive = Math.Max(mostActive, int.TryParse(fields[0], out int active) ? active : 0);
                return fields is [_, "5"] || fields is ["5"];
            },
            "five completions",
            Patience,
            TimeSpan.FromMilliseconds(300),
            node.DiagnosticsAsync);

        Assert.Equal("True", (await node.OkAsync("-n", ns, "get", "job", "work", "-o", "jsonpath={.status.conditions[?(@.type==\"Complete\")].status}")).Trim());
        Assert.Equal("5", (await node.OkAsync("-n", ns, "get", "job", "work", "-o", "jsonpath={.status.succeeded}")).Trim());
        Assert.InRange(mostActive, 1, 2);

        // The failing Job: three pods (the first and backoffLimit 2 retries), then Failed with BackoffLimitExceeded.
        await node.PollAsync("the failing Job to fail", o => o == "True/BackoffLimitExceeded", TimeSpan.FromSeconds(150),
            "-n", ns, "get", "job", "fail", "-o", "jsonpath={.status.conditions[?(@.type==\"Failed\")].status}/{.status.conditions[?(@.type==\"Failed\")].reason}");
        Assert.Equal("3", (await node.OkAsync("-n", ns, "get", "job", "fail", "-o", "jsonpath={.status.failed}")).Trim());
        // No fourth pod after the Job failed: an absence, so a window rather than an event.
        await Task.Delay(2000);
        Assert.Equal(3, (await node.OkAsync("-n", ns, "get", "pods", "-l", "job-name=fail", "-o", "name")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        // The CronJob fires at the next minute and its Job completes.
        await node.PollAsync("a Job of the CronJob to complete", o => o.Split(' ').Any(j => j.StartsWith("tick-", StringComparison.Ordinal) && j.EndsWith("=1", StringComparison.Ordinal)), TimeSpan.FromSeconds(100),
            "-n", ns, "get", "jobs", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.succeeded} {end}");
        Assert.NotEqual("", (await node.OkAsync("-n", ns, "get", "cronjob", "tick", "-o", "jsonpath={.status.lastScheduleTime}")).Trim());
        await node.OkAsync("delete", "namespace", ns, "--wait=false");
    }

    [Fact]
    public async Task The_node_heartbeats_through_its_Lease_in_kube_node_lease()
    {
        string Renew() => "jsonpath={.spec.holderIdentity} {.spec.renewTime}";
        string first = (await node.OkAsync("-n", "kube-node-lease", "get", "lease", node.NodeName, "-o", Renew())).Trim();
        Assert.StartsWith(node.NodeName + " ", first, StringComparison.Ordinal);
        await node.PollAsync("the lease renewed", o => o.StartsWith(node.NodeName + " ", StringComparison.Ordinal) && o != first, TimeSpan.FromSeconds(30),
            "-n", "kube-node-lease", "get", "lease", node.NodeName, "-o", Renew());
        Assert.Equal(node.NodeName, (await node.OkAsync("-n", "kube-node-lease", "get", "lease", node.NodeName, "-o", "jsonpath={.metadata.ownerReferences[0].name}")).Trim());
    }

    [Fact]
    public async Task A_server_restarted_on_its_data_dir_resumes_the_cluster_and_adopts_its_containers()
    {
        const string ns = "walk-restart";
        await NamespaceAsync(ns);
        await node.OkAsync("-n", ns, "create", "configmap", "kept", "--from-literal=written=before");
        await node.ApplyAsync(Deployment(ns, "steady", 2));
        await RunningAsync(ns, "steady", 2);
        const string Containers = "jsonpath={range .items[*]}{.metadata.name}={.status.containerStatuses[0].containerID}/{.status.containerStatuses[0].restartCount} {end}";
        string before = (await node.OkAsync("-n", ns, "get", "pods", "-l", "app=steady", "-o", Containers)).Trim();

        await node.RestartAsync();

        // Everything acknowledged before is there, and the running pods are the same containers, not restarted.
        Assert.Equal("before", (await node.OkAsync("-n", ns, "get", "configmap", "kept", "-o", "jsonpath={.data.written}")).Trim());
        await RunningAsync(ns, "steady", 2);
        Assert.Equal(before, (await node.OkAsync("-n", ns, "get", "pods", "-l", "app=steady", "-o", Containers)).Trim());

        // And the cluster goes on working: a scale-up after the restart runs.
        await node.OkAsync("-n", ns, "scale", "deployment/steady", "--replicas=3");
        await RunningAsync(ns, "steady", 3);
        await node.OkAsync("delete", "namespace", ns, "--wait=false");
    }

    [Fact]
    public async Task The_READMEs_quick_start_then_the_examples_run_as_written_without_conflict()
    {
        // The quick start's commands, literally (KUBECONFIG pointing at this node instead of /etc/navarch/navarch.yaml).
        string readme = await File.ReadAllTextAsync(Path.Combine(CliTests.RepoRoot(), "README.md"));
        int shell = readme.IndexOf("Then, in another shell:", StringComparison.Ordinal);
        Assert.True(shell >= 0, "the README's quick start");
        int start = readme.IndexOf("```sh\n", shell, StringComparison.Ordinal) + "```sh\n".Length;
        string[] lines = readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("export KUBECONFIG=/etc/navarch/navarch.yaml", lines[0]);
        Assert.True(lines.Length >= 3, string.Join('\n', lines));
        foreach (string line in lines[1..])
        {
            // Plain words only, so splitting on spaces is what the shell would do.
            Assert.Matches("^kubectl [A-Za-z0-9 ./:=_-]+$", line);
            Kubectl.Result run = await Kubectl.RunAsync(node.Kubeconfig, line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..], timeout: Patience);
            Assert.True(run.ExitCode == 0, $"{line}: {run.Output}");
        }

        // Then "kubectl apply -f examples/" beside it: everything runs, and the quick start's Deployment is untouched.
        string applied = await node.OkAsync("apply", "-f", Path.Combine(CliTests.RepoRoot(), "examples"));
        Assert.DoesNotContain("configured", applied, StringComparison.Ordinal);
        await node.OkAsync("rollout", "status", "deployment/web", $"--timeout={Patience.TotalSeconds}s");
        await node.PollAsync("the countdown job complete", o => o == "5", Patience, "get", "job", "countdown", "-o", "jsonpath={.status.succeeded}");
        await node.PollAsync("the daemonset's pod ready", o => o == "1", Patience, "get", "daemonset", "node-reporter", "-o", "jsonpath={.status.numberReady}");
        Assert.Equal("2 busybox", (await node.OkAsync("get", "deployment", "hello", "-o", "jsonpath={.status.readyReplicas} {.spec.template.spec.containers[*].name}")).Trim());

        await node.OkAsync("delete", "-f", Path.Combine(CliTests.RepoRoot(), "examples"), "--wait=false");
        await node.OkAsync("delete", "deployment", "hello", "--wait=false");
    }
}
