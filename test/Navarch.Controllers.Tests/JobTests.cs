using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Navarch.Controllers.Tests;

/// <summary>The Job controller against a real API server. No kubelet runs: the test plays it, writing pod status.</summary>
[Trait("Category", "Integration")]
public sealed class JobTests : ControllerCluster
{
    internal static V1Job Job(string name, int? completions = 1, int parallelism = 1, int backoffLimit = 6, string mode = "NonIndexed") => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1JobSpec
        {
            Completions = completions,
            Parallelism = parallelism,
            BackoffLimit = backoffLimit,
            CompletionMode = mode,
            Template = new V1PodTemplateSpec
            {
                Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
            },
        },
    };

    /// <summary>Plays the kubelet: the pod's phase, with its container terminated with <paramref name="exitCode"/> when finished.</summary>
    internal static async Task SetPhase(Kubernetes client, V1Pod pod, string phase, int exitCode = 0, V1PodCondition? condition = null)
    {
        V1Pod live = await client.CoreV1.ReadNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty);
        var state = phase is "Succeeded" or "Failed"
            ? new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = phase == "Succeeded" ? 0 : exitCode, FinishedAt = DateTime.UtcNow } }
            : new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = DateTime.UtcNow } };
        live.Status = new V1PodStatus
        {
            Phase = phase,
            ContainerStatuses = [new V1ContainerStatus { Name = "c", Image = "busybox:1.35", ImageID = "", Ready = phase == "Running", RestartCount = 0, State = state }],
            Conditions = condition is null ? null : [condition],
        };
        await client.CoreV1.ReplaceNamespacedPodStatusAsync(live, live.Metadata.Name, live.Metadata.NamespaceProperty);
    }

    internal static async Task<List<V1Pod>> PodsOf(Kubernetes client, string job) =>
        (await client.CoreV1.ListNamespacedPodAsync("default", labelSelector: $"job-name={job}")).Items.Where(p => p.Metadata.DeletionTimestamp is null).ToList();

    private Task<List<V1Pod>> PodsOf(string job) => PodsOf(Client, job);

    private async Task<List<V1Pod>> ActivePods(string job) =>
        (await PodsOf(job)).Where(p => p.Status?.Phase is not ("Succeeded" or "Failed")).ToList();

    private Task<V1Job> Read(string name) => Client.BatchV1.ReadNamespacedJobAsync(name, "default");

    private static V1JobCondition? Condition(V1Job job, string type) => job.Status?.Conditions?.FirstOrDefault(c => c.Type == type && c.Status == "True");

    private async Task<V1JobCondition> WaitForCondition(string name, string type)
    {
        V1JobCondition? found = null;
        await Eventually(async () => (found = Condition(await Read(name), type)) is not null, $"{name} {type}");
        return found!;
    }

    /// <summary>Waits until <paramref name="job"/> has exactly <paramref name="count"/> active pods, and they stay so.</summary>
    private async Task<List<V1Pod>> WaitForActive(string job, int count)
    {
        await Eventually(async () => (await ActivePods(job)).Count == count, $"{job} with {count} active pods");

        // "And they stay so": no pod is marked as the last one the controller makes, so the count holds over a window.
        await Task.Delay(300);
        List<V1Pod> active = await ActivePods(job);
        Assert.Equal(count, active.Count);
        return active;
    }

    [Fact]
    public async Task Completions_3_parallelism_2_runs_at_most_2_pods_and_completes()
    {
        await Client.BatchV1.CreateNamespacedJobAsync(Job("work", completions: 3, parallelism: 2), "default");
        List<V1Pod> active = await WaitForActive("work", 2);
        Assert.All(active, p =>
        {
            Assert.StartsWith("work-", p.Metadata.Name, StringComparison.Ordinal);
            Assert.Equal("work", p.Metadata.Labels["batch.kubernetes.io/job-name"]);
            Assert.Equal("work", p.Metadata.Labels["job-name"]);
            Assert.Equal(p.Metadata.Labels["controller-uid"], p.Metadata.Labels["batch.kubernetes.io/controller-uid"]);
            V1OwnerReference owner = Assert.Single(p.Metadata.OwnerReferences);
            Assert.Equal("Job", owner.Kind);
            Assert.True(owner.Controller);
        });

        // One succeeds: two completions remain, so a second pod takes its place — still two at a time.
        await SetPhase(Client, active[0], "Succeeded");
        active = await WaitForActive("work", 2);
        await Eventually(async () => (await Read("work")).Status?.Succeeded == 1, "one success counted");

        // Another succeeds: one completion remains, and one pod is already running it.
        await SetPhase(Client, active[0], "Succeeded");
        active = await WaitForActive("work", 1);
        Assert.Equal(3, (await PodsOf("work")).Count);

        await SetPhase(Client, active[0], "Succeeded");
        await WaitForCondition("work", "Complete");
        V1Job job = await Read("work");
        Assert.Equal(3, job.Status.Succeeded);
        Assert.Equal(0, job.Status.Active ?? 0);
        Assert.NotNull(job.Status.StartTime);
        Assert.NotNull(job.Status.CompletionTime);
        Assert.Equal(3, (await PodsOf("work")).Count);

        // kubectl describe job: three SuccessfulCreate and one Completed event from the job-controller.
        await Eventually(
            async () =>
            {
                var events = (await Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: $"involvedObject.uid={job.Metadata.Uid}")).Items;
                return events.Where(e => e.Reason == "SuccessfulCreate").Sum(e => e.Count ?? 1) == 3
                    && events.Any(e => e.Reason == "Completed" && e.Message == "Job completed" && e.Source?.Component == "job-controller");
            },
            "the Job has 3 SuccessfulCreate events and a Completed event");
    }

    [Fact]
    public async Task Indexed_mode_runs_one_pod_per_index_and_reports_completed_indexes()
    {
        await Client.BatchV1.CreateNamespacedJobAsync(Job("idx", completions: 3, parallelism: 3, mode: "Indexed"), "default");
        List<V1Pod> pods = await WaitForActive("idx", 3);
        var byIndex = pods.ToDictionary(p => p.Metadata.Annotations["batch.kubernetes.io/job-completion-index"]);
        Assert.Equal(["0", "1", "2"], byIndex.Keys.Order());
        foreach ((string index, V1Pod pod) in byIndex)
        {
            Assert.Equal(index, pod.Metadata.Labels["batch.kubernetes.io/job-completion-index"]);
            Assert.Equal($"idx-{index}", pod.Spec.Hostname);
            Assert.StartsWith($"idx-{index}-", pod.Metadata.Name, StringComparison.Ordinal);
            Assert.Contains(pod.Spec.Containers[0].Env, e => e.Name == "JOB_COMPLETION_INDEX" && e.Value == index);
        }

        await SetPhase(Client, byIndex["0"], "Succeeded");
        await SetPhase(Client, byIndex["2"], "Succeeded");
        await Eventually(async () => (await Read("idx")).Status?.CompletedIndexes == "0,2", "completedIndexes 0,2");
        Assert.Null(Condition(await Read("idx"), "Complete"));

        await SetPhase(Client, byIndex["1"], "Succeeded");
        await WaitForCondition("idx", "Complete");
        V1Job job = await Read("idx");
        Assert.Equal("0-2", job.Status.CompletedIndexes);
        Assert.Equal(3, job.Status.Succeeded);
    }

    [Fact]
    public async Task Failures_past_the_backoff_limit_fail_the_job_and_replacements_wait_for_the_backoff()
    {
        await Client.BatchV1.CreateNamespacedJobAsync(Job("flaky", completions: 2, parallelism: 2, backoffLimit: 1), "default");
        List<V1Pod> pods = await WaitForActive("flaky", 2);

        // The first failure is within the limit, but its replacement waits out the 10 s back-off.
        await SetPhase(Client, pods[0], "Failed", exitCode: 1);
        await Eventually(async () => (await Read("flaky")).Status?.Failed == 1, "one failure counted");
        await WaitForActive("flaky", 1);
        Assert.Null(Condition(await Read("flaky"), "Failed"));

        await SetPhase(Client, pods[1], "Failed", exitCode: 1);
        V1JobCondition failed = await WaitForCondition("flaky", "Failed");
        Assert.Equal("BackoffLimitExceeded", failed.Reason);
        V1Job job = await Read("flaky");
        Assert.Equal(2, job.Status.Failed);
        Assert.Equal(0, job.Status.Active ?? 0);
        Assert.Equal(2, (await PodsOf("flaky")).Count);
    }

    [Fact]
    public async Task A_job_past_its_active_deadline_fails_and_its_pods_are_deleted()
    {
        V1Job spec = Job("slow", parallelism: 2, completions: 2);
        spec.Spec.ActiveDeadlineSeconds = 1;
        await Client.BatchV1.CreateNamespacedJobAsync(spec, "default");
        await Eventually(async () => (await ActivePods("slow")).Count == 2, "two pods running");

        V1JobCondition failed = await WaitForCondition("slow", "Failed");
        Assert.Equal("DeadlineExceeded", failed.Reason);
        Assert.Empty(await ActivePods("slow"));
        V1Job job = await Read("slow");
        Assert.Equal(0, job.Status.Active ?? 0);
        Assert.Equal(2, job.Status.Failed);
    }

    [Fact]
    public async Task Suspending_deletes_the_active_pods_and_resuming_recreates_them()
    {
        V1Job spec = Job("paused", completions: 4, parallelism: 2);
        spec.Spec.Suspend = true;
        await Client.BatchV1.CreateNamespacedJobAsync(spec, "default");
        V1JobCondition suspended = await WaitForCondition("paused", "Suspended");
        Assert.Equal("JobSuspended", suspended.Reason);
        Assert.Empty(await PodsOf("paused"));
        Assert.Null((await Read("paused")).Status.StartTime);

        await Client.BatchV1.PatchNamespacedJobAsync(new V1Patch("{\"spec\":{\"suspend\":false}}", V1Patch.PatchType.MergePatch), "paused", "default");
        await WaitForActive("paused", 2);
        V1Job resumed = await Read("paused");
        Assert.Contains(resumed.Status.Conditions, c => c.Type == "Suspended" && c.Status == "False" && c.Reason == "JobResumed");
        Assert.NotNull(resumed.Status.StartTime);

        await Client.BatchV1.PatchNamespacedJobAsync(new V1Patch("{\"spec\":{\"suspend\":true}}", V1Patch.PatchType.MergePatch), "paused", "default");
        await WaitForCondition("paused", "Suspended");
        await WaitForActive("paused", 0);
        await Eventually(async () => (await Read("paused")).Status?.Active is null or 0, "no active pods counted");
        Assert.Null(Condition(await Read("paused"), "Failed"));
    }

    [Fact]
    public async Task Pod_failure_policy_ignores_disruptions_and_fails_the_job_on_a_listed_exit_code()
    {
        V1Job spec = Job("policy", backoffLimit: 6);
        spec.Spec.PodFailurePolicy = new V1PodFailurePolicy
        {
            Rules =
            [
                new V1PodFailurePolicyRule { Action = "FailJob", OnExitCodes = new V1PodFailurePolicyOnExitCodesRequirement { OperatorProperty = "In", Values = [42] } },
                new V1PodFailurePolicyRule { Action = "Ignore", OnPodConditions = [new V1PodFailurePolicyOnPodConditionsPattern { Type = "DisruptionTarget", Status = "True" }] },
            ],
        };
        await Client.BatchV1.CreateNamespacedJobAsync(spec, "default");
        V1Pod first = (await WaitForActive("policy", 1))[0];

        // A disrupted pod does not count: it is replaced at once, without back-off.
        await SetPhase(Client, first, "Failed", exitCode: 137, condition: new V1PodCondition { Type = "DisruptionTarget", Status = "True" });
        await Eventually(async () => (await ActivePods("policy")).Any(p => p.Metadata.Name != first.Metadata.Name), "a replacement pod");
        Assert.Equal(0, (await Read("policy")).Status?.Failed ?? 0);

        V1Pod second = (await WaitForActive("policy", 1))[0];
        await SetPhase(Client, second, "Failed", exitCode: 42);
        V1JobCondition failed = await WaitForCondition("policy", "Failed");
        Assert.Equal("PodFailurePolicy", failed.Reason);
        Assert.Contains("exit code 42", failed.Message, StringComparison.Ordinal);
        Assert.Equal(1, (await Read("policy")).Status.Failed);
    }

    [Fact]
    public async Task A_finished_job_with_a_ttl_is_deleted()
    {
        V1Job spec = Job("shortlived");
        spec.Spec.TtlSecondsAfterFinished = 1;
        await Client.BatchV1.CreateNamespacedJobAsync(spec, "default");
        await SetPhase(Client, (await WaitForActive("shortlived", 1))[0], "Succeeded");
        // No wait for the Complete condition: with a 1 s TTL the Job may be gone before a poll sees it. Only a
        // finished Job is ever deleted by the TTL controller, so its deletion shows both.
        await Eventually(async () =>
        {
            try
            {
                await Read("shortlived");
                return false;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return true;
            }
        }, "the job deleted after its TTL");
    }
}
